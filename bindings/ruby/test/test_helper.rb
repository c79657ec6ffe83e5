# frozen_string_literal: true

$LOAD_PATH.unshift(File.expand_path('../lib', __dir__))
ENV['FTPC_PREFIX'] ||= File.join(File.expand_path('../../..', __dir__), 'target', 'prefix')

require 'minitest/autorun'
require 'stringio'
require 'digest'
require 'socket'
require 'rbconfig'
require 'ftpc'
require_relative 'servers'

module FtpcTest
  # A TCP peer on 127.0.0.1 that accepts connections and never says anything: a server that
  # stalls before its welcome, for the tests of cancellation and interrupts.
  class SilentPeer
    attr_reader :port

    def initialize
      @server = TCPServer.new('127.0.0.1', 0)
      @port = @server.addr[1]
      @clients = []
      @thread = Thread.new do
        loop { @clients << @server.accept }
      rescue IOError, Errno::EBADF
        nil
      end
    end

    def close
      @thread.kill
      @clients.each(&:close)
      @server.close
    end
  end

  # A scripted FTP peer on 127.0.0.1 for the one fault the real servers cannot be made to
  # show on demand: it logs in anyone and answers every other command with a transient
  # `450 try later`, so the production layer retries.
  class BusyPeer
    attr_reader :port, :commands

    def initialize
      @server = TCPServer.new('127.0.0.1', 0)
      @port = @server.addr[1]
      @commands = Queue.new
      @thread = Thread.new do
        loop { serve(@server.accept) }
      rescue IOError, Errno::EBADF
        nil
      end
    end

    def serve(sock)
      Thread.new do
        sock.write "220 scripted busy peer\r\n"
        while (line = sock.gets)
          verb = line.split.first.to_s.upcase
          @commands << verb
          sock.write(case verb
                     when 'USER' then "331 password\r\n"
                     when 'PASS' then "230 logged in\r\n"
                     when 'FEAT' then "211-Features:\r\n SIZE\r\n211 End\r\n"
                     when 'PWD' then "257 \"/\"\r\n"
                     when 'TYPE', 'NOOP' then "200 ok\r\n"
                     when 'QUIT' then "221 bye\r\n"
                     else "450 try later\r\n"
                     end)
        end
      rescue IOError, SystemCallError
        nil
      ensure
        sock.close
      end
    end

    def close
      @thread.kill
      @server.close
    end
  end

  def self.data(size, seed = size)
    Random.new(seed).bytes(size)
  end
end
