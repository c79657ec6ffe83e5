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

  def self.data(size, seed = size)
    Random.new(seed).bytes(size)
  end
end
