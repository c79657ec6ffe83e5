# frozen_string_literal: true

# ftpc: an FTP and FTPS client (the Rust library libftpc, through its C API) for Ruby, shaped
# like Net::FTP. Start with Ftpc::Client.open; see README.md.
require_relative 'ftpc/version'
require_relative 'ftpc/native'
require_relative 'ftpc/errors'
require_relative 'ftpc/entry'
require_relative 'ftpc/options'
require_relative 'ftpc/call'
require_relative 'ftpc/data_stream'
require_relative 'ftpc/client'

module Ftpc
  # The version of the loaded libftpc ("0.1.0").
  def self.library_version
    Native.ftp_version
  end

  # Ftpc::Client.open, shorter.
  def self.open(*args, **kw, &block)
    Client.open(*args, **kw, &block)
  end
end
