# frozen_string_literal: true

require 'timeout'
begin
  require 'net/ftp'
rescue LoadError
  # net-ftp is a bundled gem since Ruby 3.1; without it, stand-ins with Net::FTP's names keep
  # the hierarchy below (and rescue clauses that name them) working.
  module Net
    class FTPError < StandardError; end
    class FTPReplyError < FTPError; end
    class FTPTempError < FTPError; end
    class FTPPermError < FTPError; end
    class FTPProtoError < FTPError; end
    class FTPConnectionError < FTPError; end
  end
end
begin
  require 'openssl'
rescue LoadError
  nil
end

module Ftpc
  # Every error ftpc raises includes this module, so `rescue Ftpc::Error` catches them all.
  # It is a module, not a class, because each concrete class also descends from the class
  # Net::FTP (or Ruby) raises for the same failure: Ftpc::TemporaryError is a
  # Net::FTPTempError, Ftpc::PermanentError a Net::FTPPermError, Ftpc::TimeoutError a
  # Timeout::Error, Ftpc::TLSError an OpenSSL::SSL::SSLError. Code written against Net::FTP
  # keeps its rescue clauses; Ruby has one superclass per class, and this is the one way to
  # be both.
  #
  # The message names the operation, the server's reply and the cause
  # (`RETR a.bin: 550 No such file`). Reply text comes from the server: it is untrusted and
  # may hold terminal control characters.
  module Error
    # The library's result code (Integer, negative: one of Ftpc::ERR_*).
    attr_reader :code
    # The server's three-digit reply code behind the failure, or 0 when there was none (a
    # timeout, a refused connection).
    attr_reader :reply_code

    # The class of the failure as a Symbol: :temporary, :permanent, :timeout, ...
    def error_class
      CODE_NAMES.fetch(code, :unknown)
    end

    # Net::FTP's errors carry the reply line as their message; so do ours, after the
    # operation's name. This gives the reply's first line ("550 No such file") when the
    # failure had one.
    def reply
      return nil if reply_code.zero?

      m = message[/\b#{reply_code}[ -].*/]
      m || reply_code.to_s
    end

    def init_ftpc(code, reply_code)
      @code = code
      @reply_code = reply_code
      self
    end
  end

  # Result codes (include/ftpc.h).
  OK = 0
  DONE = 1
  ERR_INVALID_ARGUMENT = -1
  ERR_TEMPORARY = -2
  ERR_PERMANENT = -3
  ERR_UNEXPECTED_REPLY = -4
  ERR_PROTOCOL = -5
  ERR_IO = -6
  ERR_TIMEOUT = -7
  ERR_TLS = -8
  ERR_ABORTED = -9
  ERR_BUSY = -10
  ERR_NOT_AVAILABLE = -11
  ERR_PANIC = -12
  ERR_INVALID_STATE = -13
  ERR_INTEGRITY = -14

  CODE_NAMES = {
    ERR_INVALID_ARGUMENT => :invalid_argument, ERR_TEMPORARY => :temporary,
    ERR_PERMANENT => :permanent, ERR_UNEXPECTED_REPLY => :unexpected_reply,
    ERR_PROTOCOL => :protocol, ERR_IO => :io, ERR_TIMEOUT => :timeout, ERR_TLS => :tls,
    ERR_ABORTED => :aborted, ERR_BUSY => :busy, ERR_NOT_AVAILABLE => :not_available,
    ERR_PANIC => :panic, ERR_INVALID_STATE => :invalid_state, ERR_INTEGRITY => :integrity
  }.freeze

  # The server answered 4xx: try again later.
  class TemporaryError < Net::FTPTempError; include Error; end
  # The server answered 5xx: refused for good.
  class PermanentError < Net::FTPPermError; include Error; end
  # A well-formed reply the command did not expect.
  class UnexpectedReplyError < Net::FTPReplyError; include Error; end
  # The server broke the protocol (malformed, oversized or truncated replies or data).
  class ProtocolError < Net::FTPProtoError; include Error; end
  # The operating system reported an error on a socket or a local file (Net::FTP lets
  # IOError and SystemCallError through for these).
  class IOError < ::IOError; include Error; end
  # A timeout ran out; the message names the phase (Net::FTP raises Net::OpenTimeout and
  # Net::ReadTimeout, both Timeout::Errors).
  class TimeoutError < ::Timeout::Error; include Error; end
  # TLS failed: handshake, certificate verification, or a stream cut without close_notify.
  class TLSError < (defined?(OpenSSL::SSL::SSLError) ? OpenSSL::SSL::SSLError : Net::FTPError)
    include Error
  end
  # A NULL or malformed argument, or CR/LF/NUL in something bound for the server.
  class InvalidArgumentError < ArgumentError; include Error; end
  # A callback asked to stop (a block returned :stop or raised), or the call was cancelled.
  # The session stays usable.
  class AbortedError < Net::FTPError; include Error; end
  # The call was stopped by Client#cancel (from another thread).
  class CancelledError < AbortedError; end
  # The handle is in use: called from inside its own callback, or from two threads at once.
  class BusyError < Net::FTPError; include Error; end
  # The value asked for is not available (no size listed, no total announced).
  class NotAvailableError < Net::FTPError; include Error; end
  # The session cannot do this now (closed, a data stream still open, connection lost).
  class InvalidStateError < Net::FTPError; include Error; end
  # A verified transfer's hash differs from the server's: the file is not put in place.
  class IntegrityError < Net::FTPError; include Error; end
  # An internal panic in the library was caught; the message has its text.
  class PanicError < Net::FTPError; include Error; end
  # A result code this version of the gem does not know.
  class UnknownError < Net::FTPError; include Error; end

  ERROR_CLASSES = {
    ERR_INVALID_ARGUMENT => InvalidArgumentError, ERR_TEMPORARY => TemporaryError,
    ERR_PERMANENT => PermanentError, ERR_UNEXPECTED_REPLY => UnexpectedReplyError,
    ERR_PROTOCOL => ProtocolError, ERR_IO => IOError, ERR_TIMEOUT => TimeoutError,
    ERR_TLS => TLSError, ERR_ABORTED => AbortedError, ERR_BUSY => BusyError,
    ERR_NOT_AVAILABLE => NotAvailableError, ERR_PANIC => PanicError,
    ERR_INVALID_STATE => InvalidStateError, ERR_INTEGRITY => IntegrityError
  }.freeze

  # Builds the exception for a result code, reply code and message.
  def self.error_for(code, reply_code, message, klass: nil)
    klass ||= ERROR_CLASSES.fetch(code, UnknownError)
    message = Native.ftp_strerror(code) if message.nil? || message.empty?
    klass.new(message).init_ftpc(code, reply_code)
  end
end
