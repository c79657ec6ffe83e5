# frozen_string_literal: true

require_relative 'test_helper'

# What needs no FTP server: the error hierarchy, options, closing, stalls and finalizers.
class TestOffline < Minitest::Test
  def test_library_version_matches_gem
    assert_equal Ftpc::VERSION, Ftpc.library_version
    assert_match(/\A\d+\.\d+\.\d+\z/, Ftpc.library_version)
  end

  def test_error_classes_fit_net_ftp_rescue_clauses
    assert_operator Ftpc::TemporaryError, :<, Net::FTPTempError
    assert_operator Ftpc::PermanentError, :<, Net::FTPPermError
    assert_operator Ftpc::ProtocolError, :<, Net::FTPProtoError
    assert_operator Ftpc::UnexpectedReplyError, :<, Net::FTPReplyError
    assert_operator Ftpc::TimeoutError, :<, Timeout::Error
    assert_operator Ftpc::TLSError, :<, OpenSSL::SSL::SSLError
    assert_operator Ftpc::IOError, :<, ::IOError
    assert_operator Ftpc::CancelledError, :<, Ftpc::AbortedError
    Ftpc::ERROR_CLASSES.each_value { |k| assert_operator k, :<, Ftpc::Error }
    e = Ftpc.error_for(Ftpc::ERR_PERMANENT, 550, 'SIZE x: 550 No such file')
    assert_instance_of Ftpc::PermanentError, e
    assert_equal [550, :permanent, '550 No such file'], [e.reply_code, e.error_class, e.reply]
    assert_equal Ftpc::ERR_PERMANENT, e.code
  end

  def test_unknown_option_is_refused
    err = assert_raises(ArgumentError) { Ftpc::Client.new(nope: 1) }
    assert_match(/nope/, err.message)
    assert_raises(ArgumentError) { Ftpc::Client.new(tls: :sideways) }
    assert_raises(ArgumentError) { Ftpc::Client.new(ssl: { cert_store: 1 }) }
  end

  def test_option_setter_failure_carries_the_library_message
    err = assert_raises(Ftpc::InvalidArgumentError) { Ftpc::Client.new(block_size: 0) }
    assert_equal Ftpc::ERR_INVALID_ARGUMENT, err.code
    refute_empty err.message
  end

  def test_connection_refused_is_an_io_error_with_no_reply_code
    port = TCPServer.open('127.0.0.1', 0) { |s| s.addr[1] }
    err = assert_raises(Ftpc::IOError) { Ftpc::Client.new('127.0.0.1', port: port, timeout: 5) }
    assert_kind_of ::IOError, err
    assert_kind_of Ftpc::Error, err
    assert_equal 0, err.reply_code
    assert_equal :io, err.error_class
  end

  def test_calls_on_a_closed_client_raise_invalid_state
    ftp = Ftpc::Client.new
    ftp.close
    ftp.close # twice is fine
    assert ftp.closed?
    err = assert_raises(Ftpc::InvalidStateError) { ftp.noop }
    assert_equal :invalid_state, err.error_class
  end

  def test_a_stalled_server_times_out_naming_the_phase
    peer = FtpcTest::SilentPeer.new
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    err = assert_raises(Ftpc::TimeoutError) { Ftpc::Client.new('127.0.0.1', port: peer.port, timeout: 0.5) }
    assert_kind_of Timeout::Error, err
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0, :<, 5
    refute_empty err.message
  ensure
    peer&.close
  end

  # Thread#raise reaches a thread blocked in the library (here: waiting for a welcome that
  # never comes) within a fraction of a second, and other threads ran meanwhile.
  def test_timeout_interrupts_a_stalled_call_and_other_threads_run
    peer = FtpcTest::SilentPeer.new
    ticks = 0
    ticker = Thread.new { loop { ticks += 1; sleep 0.005 } }
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    assert_raises(Timeout::Error) do
      Timeout.timeout(0.5) { Ftpc::Client.new('127.0.0.1', port: peer.port, timeout: 30) }
    end
    elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
    assert_operator elapsed, :<, 3, 'the interrupt should not wait for the 30 s reply timeout'
    assert_operator ticks, :>, 20, 'another thread should run while the call waits'
  ensure
    ticker&.kill
    peer&.close
  end

  # Ctrl-C (SIGINT's Interrupt, raised by a signal handler) stops a call waiting on a silent
  # server at once, in a process of its own.
  def test_sigint_interrupts_a_stalled_call
    peer = FtpcTest::SilentPeer.new
    script = <<~RUBY
      require 'ftpc'
      trap('INT', 'DEFAULT') # Ruby's own: raise Interrupt (a background job starts with INT ignored)
      $stdout.sync = true
      puts 'ready'
      begin
        Ftpc::Client.new('127.0.0.1', port: #{peer.port}, timeout: 30)
      rescue Interrupt
        puts 'interrupted'
      end
    RUBY
    lib = File.expand_path('../lib', __dir__)
    IO.popen([RbConfig.ruby, "-I#{lib}", '-e', script], err: %i[child out]) do |io|
      assert_equal "ready\n", io.gets
      sleep 0.5
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      Process.kill('INT', io.pid)
      assert_equal "interrupted\n", io.read
      assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0, :<, 5
    end
  ensure
    peer&.close
  end

  def test_cancel_from_another_thread_stops_a_stalled_call
    skip 'libftpc has no ftp_cancel' unless Ftpc::Native::HAVE_CANCEL
    peer = FtpcTest::SilentPeer.new
    ftp = Ftpc::Client.new(timeout: 30)
    canceller = Thread.new do
      sleep 0.05 until ftp.current_call
      sleep 0.2
      ftp.cancel
    end
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    err = assert_raises(Ftpc::CancelledError) { ftp.connect('127.0.0.1', peer.port) }
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0, :<, 5
    assert_equal true, canceller.value
    assert_equal :aborted, err.error_class
    refute ftp.cancel, 'nothing runs now, so nothing is cancelled'
  ensure
    ftp&.close
    peer&.close
  end

  def test_retry_policy_and_callback
    peer = FtpcTest::BusyPeer.new
    ftp = Ftpc::Client.new(timeout: 5)
    ftp.retry_policy = { max_attempts: 3, initial_delay: 0.01, max_delay: 0.02 }
    seen = []
    ftp.on_retry { |attempt, error, delay| seen << [attempt, error.class, error.reply_code, delay] }
    ftp.connect('127.0.0.1', peer.port)
    ftp.login('user', 'pw')
    err = assert_raises(Ftpc::TemporaryError) { ftp.ensure_directory('a/b') }
    assert_equal 450, err.reply_code
    assert_equal [1, 2], seen.map(&:first)
    assert_equal [[Ftpc::TemporaryError, 450]] * 2, seen.map { |s| s[1, 2] }
    assert(seen.all? { |s| s[3].between?(0.0, 0.1) })

    seen.clear
    ftp.on_retry { |attempt, _e, _d| seen << attempt; false } # veto
    assert_raises(Ftpc::TemporaryError) { ftp.ensure_directory('a/b') }
    assert_equal [1], seen

    ftp.on_retry { |_a, _e, _d| raise KeyError, 'from the retry block' }
    err = assert_raises(KeyError) { ftp.ensure_directory('a/b') }
    assert_equal 'from the retry block', err.message

    ftp.on_retry # removed
    ftp.retry_policy = false # one attempt
    peer.commands.clear
    assert_raises(Ftpc::TemporaryError) { ftp.ensure_directory('a/b') }
    cmds = Array.new(peer.commands.size) { peer.commands.pop }
    assert_equal 1, cmds.count('MKD'), cmds.inspect
  ensure
    ftp&.close
    peer&.close
  end

  # A client that failed to connect frees its handle at once (no finalizer needed).
  def test_failed_connect_frees_the_handle
    peer = FtpcTest::SilentPeer.new
    GC.start
    before = Dir.children('/proc/self/fd').size
    5.times do
      Timeout.timeout(0.2) { Ftpc::Client.new('127.0.0.1', port: peer.port, timeout: 10) }
    rescue Timeout::Error
      nil
    end
    assert_operator Dir.children('/proc/self/fd').size, :<=, before + 5 # the peer's accepted ends
  ensure
    peer&.close
  end
end
