# frozen_string_literal: true

require 'tmpdir'
require 'fileutils'
require 'timeout'

module FtpcTest
  TOP = File.expand_path('../../..', __dir__)
  USER = 'ftpctest'
  PASSWORD = 'ftpc-test-pw'
  CERTS = File.join(TOP, 'target', 'test-certs')
  CA = File.join(CERTS, 'ca.pem')

  # One real server started through scripts/servers/ftpserver.py, stopped by PID at exit.
  # It also exits by itself when our end of its stdin closes, so a test run that dies hard
  # takes its servers with it.
  class Server
    attr_reader :kind, :tls, :port, :root, :pid

    PARENT = File.join(Dir.tmpdir, 'ftpc-ruby-tests')

    def initialize(kind, tls)
      @kind = kind
      @tls = tls
      FileUtils.mkdir_p(PARENT)
      File.chmod(0o755, PARENT)
      @root = Dir.mktmpdir("#{kind}-#{tls ? 'tls' : 'plain'}-", PARENT)
      File.chmod(0o777, @root)
      python = ENV['FTPC_TEST_PYTHON'] || File.join(TOP, 'target', 'ftp-venv', 'bin', 'python')
      cmd = [python, File.join(TOP, 'scripts', 'servers', 'ftpserver.py'), kind, '--root', @root]
      if tls
        cmd += ['--tls', 'explicit', '--cert', File.join(CERTS, 'server.pem'),
                '--key', File.join(CERTS, 'server.key')]
      end
      @log = "#{@root}.log"
      @io = IO.popen(cmd, 'r+', err: [@log, 'w'])
      @pid = @io.pid
      line = Timeout.timeout(30) { @io.gets }
      raise "#{kind} did not start: #{line.inspect}; #{File.read(@log)}" unless line&.start_with?('READY ')

      @port = Integer(line.split[1])
    end

    def name
      "#{kind}#{tls ? '+tls' : ''}"
    end

    def mlsd?
      kind != 'vsftpd'
    end

    def stop
      return unless @pid

      begin
        Process.kill('TERM', @pid)
      rescue Errno::ESRCH
        nil
      end
      begin
        Timeout.timeout(10) { Process.wait(@pid) }
      rescue Timeout::Error
        Process.kill('KILL', @pid)
        Process.wait(@pid)
      rescue Errno::ECHILD
        nil
      end
      @io.close unless @io.closed?
      @pid = nil
      FileUtils.rm_rf([@root, "#{@root}.vsftpd", @log]) unless ENV['FTPC_KEEP_SERVER_FILES']
    end

    # Connection keywords for Ftpc::Client.open.
    def options
      opts = { port: port, username: USER, password: PASSWORD, timeout: 20 }
      opts.merge!(tls: :explicit, ca_file: CA, system_roots: false) if tls
      opts
    end

    def url
      scheme = tls ? 'ftpes' : 'ftp'
      "#{scheme}://#{USER}:#{PASSWORD}@127.0.0.1:#{port}/"
    end

    # A path in the server's root, for preparing and checking files from this side.
    def local(path = '')
      File.join(root, path)
    end

    def put_local(path, data)
      full = local(path)
      FileUtils.mkdir_p(File.dirname(full))
      File.binwrite(full, data)
      File.chmod(0o666, full)
      full
    end

    def mkdir_local(path)
      full = local(path)
      FileUtils.mkdir_p(full)
      File.chmod(0o777, full)
      full
    end
  end

  SERVERS = {}
  KINDS = [%w[pyftpdlib plain], %w[pyftpdlib tls], %w[vsftpd plain], %w[vsftpd tls]].freeze

  def self.server(kind, mode)
    SERVERS["#{kind}/#{mode}"] ||= Server.new(kind, mode == 'tls')
  end

  def self.stop_all
    SERVERS.each_value(&:stop)
    SERVERS.clear
  end

  # Minitest runs the tests from an at_exit handler of its own, so a plain at_exit registered
  # after it would run first, before any server started: stop them after the run instead (and
  # at exit, for scripts that use these servers without minitest).
  if defined?(Minitest) && Minitest.respond_to?(:after_run)
    Minitest.after_run { stop_all }
  end
  at_exit { stop_all }
end
