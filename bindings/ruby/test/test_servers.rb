# frozen_string_literal: true

require_relative 'test_helper'

# Every test here runs against each real server: pyftpdlib and vsftpd, plain and explicit TLS
# with certificate verification against the test CA.
module ServerTests
  def server
    self.class::SERVER.call
  end

  def setup
    @srv = server
    @id = "#{name.sub(/\Atest_/, '')[0, 40]}-#{rand(1 << 30)}"
    @tmp = Dir.mktmpdir('ftpc-ruby-local-')
  end

  def teardown
    FileUtils.rm_rf(@tmp)
  end

  def open_client(**kw, &block)
    Ftpc::Client.open('127.0.0.1', **@srv.options, **kw, &block)
  end

  def remote_name(suffix)
    "#{@id}-#{suffix}"
  end

  def test_connect_login_and_state
    open_client do |ftp|
      assert_match(/ready/, ftp.welcome)
      assert_equal @srv.tls, ftp.tls?
      assert_equal '/', ftp.pwd
      ftp.noop
      assert_equal 200, ftp.last_response_code
      refute ftp.closed?
    end
  end

  def test_url_form_with_verified_tls
    opts = @srv.tls ? { ca_file: FtpcTest::CA, system_roots: false } : {}
    @srv.put_local(remote_name('u.bin'), 'via url')
    url = @srv.url + remote_name('u.bin')
    data = Ftpc::Client.open(url, **opts) do |ftp|
      assert_equal @srv.tls, ftp.tls?
      assert_equal remote_name('u.bin'), ftp.url_path
      ftp.retr(ftp.url_path)
    end
    assert_equal 'via url', data
  end

  def test_net_ftp_constructor_form
    ftp = Ftpc::FTP.new('127.0.0.1', FtpcTest::USER, FtpcTest::PASSWORD, port: @srv.port,
                        **@srv.options.slice(:tls, :ca_file, :system_roots))
    assert_equal '/', ftp.pwd
    ftp.quit
    assert ftp.closed?
  end

  def test_block_form_closes_even_when_the_block_raises
    kept = nil
    assert_raises(RuntimeError) do
      open_client do |ftp|
        kept = ftp
        raise 'boom'
      end
    end
    assert kept.closed?
    assert_raises(Ftpc::InvalidStateError) { kept.pwd }
  end

  def test_retr_to_string_io_and_block_with_checked_bytes
    data = FtpcTest.data(1_500_000)
    @srv.put_local(remote_name('r.bin'), data)
    open_client do |ftp|
      got = ftp.retr(remote_name('r.bin'))
      assert_equal Encoding::BINARY, got.encoding
      assert_equal Digest::SHA256.hexdigest(data), Digest::SHA256.hexdigest(got)

      io = StringIO.new(+'', 'wb')
      assert_equal data.bytesize, ftp.retr(remote_name('r.bin'), io)
      assert_equal data, io.string

      chunks = []
      progress = []
      n = ftp.retr(remote_name('r.bin'), progress: ->(done, total) { progress << [done, total] }) { |c| chunks << c }
      assert_equal data.bytesize, n
      assert_equal data, chunks.join
      assert_equal data.bytesize, progress.last[0]
      assert_equal progress.map(&:first).sort, progress.map(&:first)
    end
  end

  def test_stor_from_string_and_io_with_progress
    data = FtpcTest.data(700_000, 7)
    open_client do |ftp|
      seen = []
      assert_equal data.bytesize, ftp.stor(remote_name('s1.bin'), data) { |done, total| seen << [done, total] }
      assert_equal [data.bytesize, data.bytesize], seen.last
      assert_equal data.bytesize, ftp.stor(remote_name('s2.bin'), StringIO.new(data))
      File.binwrite(File.join(@tmp, 'f.bin'), data)
      File.open(File.join(@tmp, 'f.bin'), 'rb') { |f| ftp.stor(remote_name('s3.bin'), f) }
      assert_equal data.bytesize, ftp.size(remote_name('s3.bin'))
    end
    %w[s1 s2 s3].each { |s| assert_equal data, File.binread(@srv.local(remote_name("#{s}.bin"))) }
  end

  def test_resume_download_and_upload
    data = FtpcTest.data(300_000, 3)
    @srv.put_local(remote_name('res.bin'), data)
    open_client do |ftp|
      assert_equal data.byteslice(100_000..), ftp.retr(remote_name('res.bin'), offset: 100_000)
      local = File.join(@tmp, 'res.bin')
      File.binwrite(local, data.byteslice(0, 123_456))
      ftp.resume = true
      ftp.getbinaryfile(remote_name('res.bin'), local)
      assert_equal data, File.binread(local)

      # upload in two parts: STOR the first, then REST+STOR the rest
      ftp.stor(remote_name('up.bin'), data.byteslice(0, 50_000))
      ftp.stor(remote_name('up.bin'), data.byteslice(50_000..), offset: 50_000)
      ftp.appe(remote_name('up.bin'), 'tail')
    end
    assert_equal data + 'tail', File.binread(@srv.local(remote_name('up.bin')))
  end

  def test_download_and_upload_file_with_progress
    data = FtpcTest.data(2_000_000, 11)
    src = File.join(@tmp, 'src.bin')
    File.binwrite(src, data)
    open_client do |ftp|
      ups = []
      assert_equal remote_name('pl.bin'), ftp.upload_file(src, remote_name('pl.bin'), temporary_name: true) { |d, t| ups << [d, t] }
      assert_equal [data.bytesize, data.bytesize], ups.last
      downs = []
      dest = File.join(@tmp, 'dest.bin')
      ftp.download_file(remote_name('pl.bin'), dest) { |d, t| downs << [d, t] }
      assert_equal data, File.binread(dest)
      assert_equal data.bytesize, downs.last[0]
      # to and from open files
      File.open(File.join(@tmp, 'fd.bin'), 'w+b') { |f| ftp.download_file(remote_name('pl.bin'), f) }
      assert_equal data, File.binread(File.join(@tmp, 'fd.bin'))
      File.open(src, 'rb') { |f| ftp.upload_file(f, remote_name('fd.bin')) }
    end
    assert_equal data, File.binread(@srv.local(remote_name('pl.bin')))
    assert_equal data, File.binread(@srv.local(remote_name('fd.bin')))
    refute File.exist?(@srv.local(".#{remote_name('pl.bin')}.ftpc-part"))
  end

  def test_list_returns_entries
    dir = remote_name('dir')
    @srv.mkdir_local(dir)
    @srv.put_local("#{dir}/a.txt", 'abc')
    @srv.put_local("#{dir}/b.bin", FtpcTest.data(1000))
    @srv.mkdir_local("#{dir}/sub")
    open_client do |ftp|
      entries = ftp.list(dir).sort_by(&:name)
      assert_equal %w[a.txt b.bin sub], entries.map(&:name)
      assert_equal [:file, :file, :dir], entries.map(&:type)
      assert_equal [3, 1000], entries.first(2).map(&:size)
      assert entries[2].directory?
      assert_kind_of Time, entries[0].mtime
      assert_equal %w[a.txt b.bin sub], ftp.each_entry(dir, via: :list).map(&:name).sort
      assert_equal %w[a.txt b.bin sub], ftp.nlst(dir).map { |n| File.basename(n) }.sort
      lines = ftp.dir(dir)
      assert_equal 3, lines.size
      assert(lines.any? { |l| l.end_with?('a.txt') })
      if @srv.mlsd?
        mlsd = ftp.mlsd(dir).reject { |e| %i[cdir pdir].include?(e.type) }.sort_by(&:name)
        assert_equal %w[a.txt b.bin sub], mlsd.map(&:pathname)
        assert mlsd[0].readable?
        assert_equal '3', mlsd[0].facts['size']
        assert_equal 'file', mlsd[0].facts['type']
        assert(mlsd[0].facts.key?('modify') && mlsd[0].facts.key?('perm'), mlsd[0].facts.inspect)
        assert(mlsd[0].facts.keys.all? { |k| k == k.downcase })
        e = ftp.mlst("#{dir}/a.txt")
        assert_equal 3, e.size
      else
        err = assert_raises(Ftpc::PermanentError) { ftp.mlsd(dir) }
        assert_operator err.reply_code, :>=, 500
        assert_nil ftp.noop # the session goes on
      end
    end
  end

  def test_directory_and_file_commands
    open_client do |ftp|
      deep = "#{remote_name('d')}/x/y"
      ftp.ensure_directory(deep)
      ftp.ensure_directory(deep) # existing is fine
      assert File.directory?(@srv.local(deep))
      ftp.chdir(remote_name('d'))
      assert_equal "/#{remote_name('d')}", ftp.pwd
      assert_match(/new/, ftp.mkdir('new'))
      ftp.stor('f.txt', 'hello')
      assert_equal 5, ftp.size('f.txt')
      ftp.rename('f.txt', 'g.txt')
      assert_operator (Time.now - ftp.mtime('g.txt')).abs, :<, 300
      assert_match(/\A\d{14}\z/, ftp.mdtm('g.txt'))
      ftp.delete('g.txt')
      ftp.rmdir('new')
      ftp.cdup
      assert_equal '/', ftp.pwd
    end
  end

  def test_errors_carry_class_and_reply_code
    open_client do |ftp|
      err = assert_raises(Ftpc::PermanentError) { ftp.size(remote_name('missing')) }
      assert_equal 550, err.reply_code
      assert_equal :permanent, err.error_class
      assert_kind_of Net::FTPPermError, err
      assert_match(/550/, err.message)
      begin
        ftp.retr(remote_name('missing'))
        flunk 'expected an error'
      rescue Net::FTPPermError => e # a Net::FTP rescue clause catches it
        assert_equal 550, e.reply_code
      end
      assert_raises(Ftpc::Error) { ftp.chdir(remote_name('nowhere')) }
      err = assert_raises(Ftpc::InvalidArgumentError) { ftp.quote("NOOP\r\nDELE x") }
      assert_equal Ftpc::ERR_INVALID_ARGUMENT, err.code
      assert_equal '/', ftp.pwd # still usable after every failure
    end
  end

  def test_raw_commands
    open_client do |ftp|
      r = ftp.quote('NOOP')
      assert_equal 200, r.code
      assert r.success?
      bad = ftp.quote('XYZZY')
      assert_operator bad.code, :>=, 500
      err = assert_raises(Ftpc::PermanentError) { ftp.sendcmd('XYZZY') }
      assert_equal bad.code, err.reply_code
      assert_match(/\A200/, ftp.sendcmd('NOOP'))
      assert_nil ftp.voidcmd('NOOP')
      assert_match(/UNIX/i, ftp.system)
      assert ftp.feature?('SIZE')
    end
  end

  # ftplib's and Net::FTP's documented usage patterns.
  def test_net_ftp_usage_patterns
    data = FtpcTest.data(200_000, 5)
    text = "one\ntwo\nthree\n"
    File.binwrite(File.join(@tmp, 'bin'), data)
    File.write(File.join(@tmp, 'text'), text)
    open_client do |ftp|
      sent = []
      ftp.putbinaryfile(File.join(@tmp, 'bin'), remote_name('bin')) { |c| sent << c }
      assert_equal data, sent.join
      got = []
      ftp.getbinaryfile(remote_name('bin'), File.join(@tmp, 'bin2'), 4096) { |c| got << c }
      assert_equal data, File.binread(File.join(@tmp, 'bin2'))
      assert_equal data, got.join
      assert_equal data, ftp.getbinaryfile(remote_name('bin'), nil)

      lines = []
      ftp.puttextfile(File.join(@tmp, 'text'), remote_name('text')) { |l| lines << l }
      assert_equal 3, lines.size
      assert_equal text, File.binread(@srv.local(remote_name('text'))) # the server stored LF lines
      ftp.gettextfile(remote_name('text'), File.join(@tmp, 'text2'))
      assert_equal text, File.read(File.join(@tmp, 'text2'))
      got_lines = []
      ftp.retrlines("RETR #{remote_name('text')}") { |l| got_lines << l }
      assert_equal %w[one two three], got_lines

      buf = +''
      ftp.retrbinary("RETR #{remote_name('bin')}", 8192) { |c| buf << c }
      assert_equal data, buf
      ftp.storbinary("STOR #{remote_name('bin3')}", StringIO.new(data), 8192)
      assert_equal data.bytesize, ftp.size(remote_name('bin3'))
      listing = []
      ftp.retrlines('LIST') { |l| listing << l }
      assert(listing.any? { |l| l.include?(remote_name('bin3')) })
    end
  end

  def test_data_stream
    data = FtpcTest.data(100_000, 9)
    @srv.put_local(remote_name('ds.bin'), data)
    open_client do |ftp|
      got = ftp.transfercmd("RETR #{remote_name('ds.bin')}") { |s| s.each_chunk.to_a.join }
      assert_equal data, got
      ftp.transfercmd("STOR #{remote_name('ds2.bin')}") { |s| s.write(data) }
      assert_equal data.bytesize, ftp.size(remote_name('ds2.bin'))
      # stop reading early on purpose: break (or raise) aborts the stream
      ftp.transfercmd("RETR #{remote_name('ds.bin')}") do |s|
        s.read(10)
        break
      end
      assert_equal '/', ftp.pwd
      # or abort it by hand
      s = ftp.transfercmd("RETR #{remote_name('ds.bin')}")
      assert_raises(Ftpc::InvalidStateError) { ftp.pwd } # the session waits for the stream
      assert_equal 10, s.read(10).bytesize
      s.abort
      assert s.closed?
      assert_equal '/', ftp.pwd
      ftp.noop
    end
  end

  def test_exception_in_a_block_stops_the_transfer_and_is_reraised
    data = FtpcTest.data(3_000_000, 13)
    @srv.put_local(remote_name('big.bin'), data)
    open_client(block_size: 16_384) do |ftp|
      calls = 0
      err = assert_raises(ZeroDivisionError) do
        ftp.retr(remote_name('big.bin')) do |_c|
          calls += 1
          1 / 0 if calls == 3
        end
      end
      assert_match(/divided/, err.message)
      assert_equal 3, calls, 'no block runs after the one that raised'
      assert_equal data.bytesize, ftp.size(remote_name('big.bin')) # session usable

      # a failing upload source: the call raises, and never stores a short file as success
      src = Object.new
      reads = 0
      src.define_singleton_method(:read) do |n|
        reads += 1
        raise Errno::EIO, 'disk' if reads == 4

        'z' * n
      end
      assert_raises(Errno::EIO) { ftp.stor(remote_name('short.bin'), src) }
      assert_equal '/', ftp.pwd

      # break and throw stop it too, and go where they were going
      n = 0
      assert_equal(:enough, ftp.retr(remote_name('big.bin')) { |_c| break :enough if (n += 1) == 2 })
      assert_equal 2, n
      ftp.noop
      assert_equal(42, catch(:out) { ftp.retr(remote_name('big.bin')) { |_c| throw :out, 42 } })
      assert_equal data.bytesize, ftp.size(remote_name('big.bin'))

      # a progress block that raises
      assert_raises(ArgumentError) do
        ftp.download_file(remote_name('big.bin'), File.join(@tmp, 'x')) { |_d, _t| raise ArgumentError, 'stop' }
      end
      refute File.exist?(File.join(@tmp, 'x'))
    end
  end

  def test_cancel_from_another_thread
    skip 'libftpc has no ftp_cancel' unless Ftpc::Native::HAVE_CANCEL
    data = FtpcTest.data(2_000_000, 17)
    @srv.put_local(remote_name('c.bin'), data)
    open_client(block_size: 8192) do |ftp|
      started = Queue.new
      canceller = Thread.new do
        started.pop
        ftp.cancel
      end
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      err = assert_raises(Ftpc::CancelledError) do
        ftp.retr(remote_name('c.bin')) do |_c|
          started << true if started.empty? && !canceller.nil?
          sleep 0.01
        end
      end
      assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0, :<, 10
      assert canceller.value
      assert_kind_of Ftpc::AbortedError, err
      # the session reconnects and goes on
      assert_equal data, ftp.retr(remote_name('c.bin'))
    end
  end

  def test_timeout_interrupts_a_transfer
    data = FtpcTest.data(2_000_000, 19)
    @srv.put_local(remote_name('t.bin'), data)
    open_client(block_size: 8192) do |ftp|
      blocks = 0
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      assert_raises(Timeout::Error) do
        Timeout.timeout(0.3) { ftp.retr(remote_name('t.bin')) { |_c| blocks += 1; sleep 0.01 } }
      end
      assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0, :<, 3
      assert_operator blocks, :<, data.bytesize / 8192
      assert_equal data.bytesize, ftp.size(remote_name('t.bin'))
    end
  end

  # Timeout reaches a thread whose own block is busy (the block runs on the calling thread).
  def test_timeout_interrupts_a_sleeping_block
    @srv.put_local(remote_name('sl.bin'), FtpcTest.data(500_000))
    open_client do |ftp|
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      assert_raises(Timeout::Error) { Timeout.timeout(0.3) { ftp.retr(remote_name('sl.bin')) { |_c| sleep 30 } } }
      assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0, :<, 5
      assert_equal 500_000, ftp.size(remote_name('sl.bin'))
    end
  end

  # Thread#kill of a thread inside a transfer: it dies at once and the session goes on.
  def test_thread_kill_during_a_transfer
    @srv.put_local(remote_name('k.bin'), FtpcTest.data(2_000_000))
    open_client(block_size: 8192) do |ftp|
      inside = Queue.new
      t = Thread.new { ftp.retr(remote_name('k.bin')) { |_c| inside << true; sleep 0.01 } }
      inside.pop
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      t.kill
      assert t.join(5), 'the thread should die within seconds'
      assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0, :<, 5
      assert_equal 2_000_000, ftp.size(remote_name('k.bin'))
    end
  end

  # The transfer runs with the global lock released: a thread that wakes every millisecond
  # keeps doing so throughout (a call holding the lock would leave one gap as long as itself).
  def test_other_threads_run_during_a_transfer
    data = FtpcTest.data(32_000_000, 23)
    src = File.join(@tmp, 'big')
    File.binwrite(src, data)
    open_client(block_size: 16_384) do |ftp|
      stamps = []
      running = true
      ticker = Thread.new do
        while running
          stamps << Process.clock_gettime(Process::CLOCK_MONOTONIC)
          sleep 0.001
        end
      end
      sleep 0.01
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      ftp.upload_file(src, remote_name('big'))
      ftp.download_file(remote_name('big'), File.join(@tmp, 'back'))
      t1 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      running = false
      ticker.join
      assert_equal data, File.binread(File.join(@tmp, 'back'))
      during = stamps.select { |t| t.between?(t0, t1) }
      gaps = [t0, *during, t1].each_cons(2).map { |a, b| b - a }
      assert_operator during.size, :>=, 10, "the ticker ran #{during.size} times in #{(t1 - t0).round(3)} s"
      assert_operator gaps.max, :<, [0.25, (t1 - t0) / 4].max,
                      "longest pause of the ticker: #{gaps.max.round(3)} s of #{(t1 - t0).round(3)} s"
    end
  end

  def test_sessions_on_several_threads_at_once
    data = FtpcTest.data(400_000, 29)
    @srv.put_local(remote_name('par.bin'), data)
    results = Array.new(4) do |i|
      Thread.new do
        open_client do |ftp|
          ftp.stor(remote_name("par#{i}.bin"), ftp.retr(remote_name('par.bin')))
          ftp.size(remote_name("par#{i}.bin"))
        end
      end
    end.map(&:value)
    assert_equal [data.bytesize] * 4, results
  end

  def test_one_client_shared_by_threads_is_serialised
    @srv.put_local(remote_name('sh.bin'), FtpcTest.data(50_000))
    open_client do |ftp|
      sizes = Array.new(4) { Thread.new { Array.new(5) { ftp.size(remote_name('sh.bin')) } } }.flat_map(&:value)
      assert_equal [50_000] * 20, sizes
    end
  end

  def test_a_callback_calling_into_its_own_session_gets_busy
    @srv.put_local(remote_name('b.bin'), 'data')
    open_client do |ftp|
      err = assert_raises(Ftpc::BusyError) { ftp.retr(remote_name('b.bin')) { |_c| ftp.noop } }
      assert_equal :busy, err.error_class
      assert_raises(Ftpc::BusyError) { ftp.retr(remote_name('b.bin')) { |_c| ftp.close } }
      refute ftp.closed?
      ftp.noop
    end
  end

  def test_sync_and_mirror
    local = File.join(@tmp, 'tree')
    FileUtils.mkdir_p(File.join(local, 'sub', 'deeper'))
    File.binwrite(File.join(local, 'a.bin'), FtpcTest.data(10_000, 1))
    File.binwrite(File.join(local, 'sub', 'b.bin'), FtpcTest.data(20_000, 2))
    File.binwrite(File.join(local, 'sub', 'deeper', 'c.txt'), 'c')
    remote = remote_name('sync')
    open_client do |ftp|
      ftp.ensure_directory(remote)
      planned = ftp.sync(local, remote, dry_run: true)
      assert_equal 3, planned.count { |e| e.action == :uploaded }
      refute File.exist?(@srv.local("#{remote}/a.bin"))
      seen = []
      events = ftp.sync(local, remote) { |e| seen << e }
      assert_equal events, seen
      assert_equal 3, events.count { |e| e.action == :uploaded }
      assert_equal File.binread(File.join(local, 'sub', 'b.bin')), File.binread(@srv.local("#{remote}/sub/b.bin"))
      again = ftp.sync(local, remote)
      assert_equal 0, again.count { |e| e.action == :uploaded }

      back = File.join(@tmp, 'back')
      events = ftp.mirror(remote, back)
      assert_equal 3, events.count { |e| e.action == :downloaded }
      assert_equal 'c', File.read(File.join(back, 'sub', 'deeper', 'c.txt'))
      assert_equal File.binread(File.join(local, 'a.bin')), File.binread(File.join(back, 'a.bin'))

      # stopping a sync from its block
      err = assert_raises(RuntimeError) { ftp.mirror(remote, File.join(@tmp, 'b2')) { |_e| raise 'enough' } }
      assert_equal 'enough', err.message
    end
  end

  def test_retry_policy
    open_client(retry: { max_attempts: 2, initial_delay: 0.01 }) do |ftp|
      ftp.retry_policy = Ftpc::RetryPolicy.new(max_attempts: 3, initial_delay: 0.01, max_delay: 0.05)
      retries = []
      ftp.on_retry { |attempt, error, delay| retries << [attempt, error, delay] }
      # a permanent failure is not retried
      assert_raises(Ftpc::PermanentError) { ftp.download_file(remote_name('none'), File.join(@tmp, 'n')) }
      assert_empty retries
      ftp.on_retry
      ftp.retry_policy = false
    end
  end

  def sockets
    Dir.children('/proc/self/fd').filter_map do |fd|
      File.readlink("/proc/self/fd/#{fd}")
    rescue SystemCallError
      nil
    end.grep(/\Asocket:/)
  end

  # Sessions nobody closed are freed by the garbage collector (ftp_free), which closes their
  # sockets. They are made on a thread of their own so that no stale reference to them stays
  # on this thread's stack.
  def test_handles_are_freed_by_the_garbage_collector
    before = sockets
    Thread.new { 3.times { Ftpc::Client.new('127.0.0.1', **@srv.options).noop } }.join
    made = sockets - before
    assert_operator made.size, :>=, 3, 'three sessions are open'
    20.times do
      GC.start
      break if (sockets & made).empty?

      sleep 0.05
    end
    assert_empty sockets & made, 'the garbage collector should have closed their sockets'
  end

  # The example program, as the README runs it.
  def test_example_program
    data = FtpcTest.data(150_000, 31)
    @srv.mkdir_local(remote_name('ex'))
    @srv.put_local("#{remote_name('ex')}/file.bin", data)
    url = "#{@srv.tls ? 'ftpes' : 'ftp'}://#{FtpcTest::USER}@127.0.0.1:#{@srv.port}/#{remote_name('ex')}/file.bin"
    out = File.join(@tmp, 'file.bin')
    example = File.expand_path('../examples/download.rb', __dir__)
    cmd = [RbConfig.ruby, example, url, out]
    cmd += ['--ca', FtpcTest::CA] if @srv.tls
    output = IO.popen({ 'FTP_PASSWORD' => FtpcTest::PASSWORD }, cmd, err: %i[child out], &:read)
    assert $?.success?, output
    assert_equal data, File.binread(out)
    assert_match(/saved .*file.bin \(150000 bytes\)/, output)
    assert_match(/with TLS/, output) if @srv.tls
  end

  def test_active_mode
    data = FtpcTest.data(120_000, 41)
    open_client(passive: false) do |ftp|
      ftp.stor(remote_name('act.bin'), data)
      assert_equal data, ftp.retr(remote_name('act.bin'))
      assert_equal 1, ftp.list.count { |e| e.name == remote_name('act.bin') }
    end
  end

  def test_switching_passive_and_active_on_a_session
    skip 'libftpc has no ftp_set_passive' unless Ftpc::Native::HAVE_SET_PASSIVE
    data = FtpcTest.data(50_000, 43)
    open_client do |ftp|
      assert ftp.passive
      ftp.passive = false
      refute ftp.passive
      ftp.stor(remote_name('sw.bin'), data)
      ftp.passive = true
      assert_equal data, ftp.retr(remote_name('sw.bin'))
    end
  end

  # A listing enumerator left half-way holds the session until the collector frees it.
  def test_abandoned_listing_is_freed_by_the_collector
    skip 'libftpc has no ftp_listing_free' unless Ftpc::Native::HAVE_LISTING
    dir = remote_name('many')
    @srv.mkdir_local(dir)
    30.times { |i| @srv.put_local("#{dir}/f#{i}", 'x') }
    open_client do |ftp|
      Thread.new do
        e = ftp.enum_for(:each_entry, dir, via: :list)
        e.next
      end.join
      freed = false
      40.times do
        GC.start
        ftp.noop
        freed = true
        break
      rescue Ftpc::InvalidStateError # the listing still holds the session
        sleep 0.05
      end
      assert freed, 'the collector should have freed the listing'
      assert_equal 30, ftp.list(dir).size
    end
  end

  # While a listing or a data stream is open, other calls fail at once (the production layer
  # too: the gem guards it, libftpc 0.1 would wait forever).
  def test_calls_while_a_listing_or_stream_is_open
    dir = remote_name('open')
    @srv.mkdir_local(dir)
    5.times { |i| @srv.put_local("#{dir}/f#{i}", 'x') }
    open_client do |ftp|
      ftp.each_entry(dir, via: :list) do |_e|
        assert_raises(Ftpc::InvalidStateError) { ftp.list(dir) }
        assert_raises(Ftpc::InvalidStateError) { ftp.download_file("#{dir}/f1", File.join(@tmp, 'f')) }
        assert_raises(Ftpc::InvalidStateError) { ftp.size("#{dir}/f1") }
      end
      stream = ftp.transfercmd("RETR #{dir}/f1")
      assert_raises(Ftpc::InvalidStateError) { ftp.ensure_directory('x') }
      stream.abort
      assert_equal 5, ftp.list(dir).size
    end
  end

  def test_ascii_mode_converts_line_ends
    open_client do |ftp|
      ftp.binary = false
      refute ftp.binary
      ftp.stor(remote_name('a.txt'), "x\ny\n")
      # sent as CRLF lines, which both servers store as this system's LF lines
      assert_equal "x\ny\n", File.binread(@srv.local(remote_name('a.txt')))
      File.binwrite(@srv.local(remote_name('a.txt')), "x\ny\n")
      assert_equal "x\ny\n", ftp.retr(remote_name('a.txt'))
    end
  end

  def test_set_mtime
    skip 'vsftpd has no MFMT' if @srv.kind == 'vsftpd'
    @srv.put_local(remote_name('m.txt'), 'm')
    open_client do |ftp|
      t = Time.utc(2020, 2, 29, 12, 34, 56)
      ftp.set_mtime(remote_name('m.txt'), t)
      assert_equal t, ftp.mtime(remote_name('m.txt'))
      assert_equal '20200229123456', ftp.mdtm(remote_name('m.txt'))
    end
  end

  # close (or free) from another thread while a transfer runs: the transfer is cancelled
  # first, never freed under it.
  def test_close_from_another_thread_during_a_transfer
    @srv.put_local(remote_name('cl.bin'), FtpcTest.data(3_000_000))
    %i[close free].each do |how|
      ftp = Ftpc::Client.new('127.0.0.1', **@srv.options, block_size: 8192)
      inside = Queue.new
      t = Thread.new do
        ftp.retr(remote_name('cl.bin')) { |_c| inside << true; sleep 0.005 }
      rescue Ftpc::Error => e
        e
      end
      inside.pop
      ftp.public_send(how)
      assert ftp.closed?
      assert_kind_of Ftpc::AbortedError, t.value
    end
  end

  def test_explicit_free_and_quit
    ftp = Ftpc::Client.new('127.0.0.1', **@srv.options)
    ftp.free
    assert ftp.closed?
    ftp.free # twice is fine
    ftp = Ftpc::Client.new('127.0.0.1', **@srv.options)
    assert_nil ftp.quit
    assert ftp.closed?
  end
end

# TLS-only checks: verification on, and failing with the wrong CA or name.
module TLSTests
  def test_wrong_ca_fails_verification
    other_ca = File.join(FtpcTest::CERTS, 'selfsigned.pem')
    err = assert_raises(Ftpc::TLSError) do
      Ftpc::Client.new('127.0.0.1', **@srv.options, ca_file: other_ca)
    end
    assert_kind_of OpenSSL::SSL::SSLError, err
    assert_equal :tls, err.error_class
    assert_match(/certificate|verif|issuer/i, err.message)
  end

  def test_no_ca_at_all_fails_verification
    # the system's store, which does not hold the test CA
    opts = @srv.options.reject { |k, _| %i[ca_file system_roots].include?(k) }
    assert_raises(Ftpc::TLSError) { Ftpc::Client.new('127.0.0.1', **opts) }
    # no store at all: refused before connecting
    err = assert_raises(Ftpc::InvalidArgumentError) { Ftpc::Client.new('127.0.0.1', **opts, system_roots: false) }
    assert_match(/CA/, err.message)
  end

  # A pinned public key is trusted whatever its issuer; any other key is refused.
  def test_pinned_certificate
    cert = OpenSSL::X509::Certificate.new(File.read(File.join(FtpcTest::CERTS, 'server.pem')))
    pin = "sha256//#{[OpenSSL::Digest::SHA256.digest(cert.public_key.to_der)].pack('m0')}"
    base = @srv.options.reject { |k, _| k == :ca_file }
    Ftpc::Client.open('127.0.0.1', **base, pins: [pin]) { |ftp| assert ftp.tls? }
    other = OpenSSL::X509::Certificate.new(File.read(File.join(FtpcTest::CERTS, 'selfsigned.pem')))
    wrong = "sha256//#{[OpenSSL::Digest::SHA256.digest(other.public_key.to_der)].pack('m0')}"
    assert_raises(Ftpc::TLSError) { Ftpc::Client.new('127.0.0.1', **base, ca_file: FtpcTest::CA, pins: [wrong]) }
  end

  def test_data_protection_setting
    skip 'libftpc has no ftp_set_data_protection' unless Ftpc::Native::HAVE_SET_DATA_PROTECTION
    @srv.put_local(remote_name('prot.bin'), 'protected')
    open_client do |ftp|
      ftp.data_protection = :private
      assert_raises(Ftpc::InvalidArgumentError) { ftp.data_protection = :clear } # tls: :explicit
      assert_equal 'protected', ftp.retr(remote_name('prot.bin'))
    end
  end

  def test_wrong_server_name_fails
    assert_raises(Ftpc::TLSError) { Ftpc::Client.new('127.0.0.1', **@srv.options, server_name: 'elsewhere.example') }
  end

  # The README's first snippet, run as written but for the server, CA and file names.
  def test_readme_first_snippet
    readme = File.read(File.expand_path('../README.md', __dir__))
    snippet = readme[/```ruby\n(.*?)```/m, 1]
    assert_includes snippet, "ca_file: 'ca.pem'"
    data = FtpcTest.data(77_777, 37)
    @srv.mkdir_local(remote_name('pub'))
    @srv.put_local("#{remote_name('pub')}/file.bin", data)
    code = snippet.sub('ftpes://user:secret@ftp.example.com/', "ftpes://#{FtpcTest::USER}:#{FtpcTest::PASSWORD}@127.0.0.1:#{@srv.port}/")
                  .sub("'pub/file.bin'", "'#{remote_name('pub')}/file.bin'")
                  .sub("'ca.pem'", "'#{FtpcTest::CA}'")
    lib = File.expand_path('../lib', __dir__)
    output = IO.popen([RbConfig.ruby, "-I#{lib}", '-e', code], chdir: @tmp, err: %i[child out], &:read)
    assert $?.success?, output
    assert_equal data, File.binread(File.join(@tmp, 'file.bin'))
    assert_match(%r{\r77777/77777\z}, output)
  end

  # The README's Net::FTP snippet, run as written but for the server (MLSD: pyftpdlib only).
  def test_readme_net_ftp_snippet
    skip 'the snippet uses MLSD, which vsftpd lacks' unless @srv.mlsd?
    readme = File.read(File.expand_path('../README.md', __dir__))
    snippet = readme[/## Net::FTP's way\n\n```ruby\n(.*?)```/m, 1]
    @srv.mkdir_local('pub/in')
    @srv.put_local('pub/file.bin', 'the file')
    File.write(File.join(@tmp, 'report.pdf'), 'a report')
    code = snippet.sub("'ftp.example.com', 'user', 'secret', ssl: { ca_file: 'ca.pem' }",
                       "'127.0.0.1', '#{FtpcTest::USER}', '#{FtpcTest::PASSWORD}', port: #{@srv.port}, " \
                       "ssl: { ca_file: '#{FtpcTest::CA}' }")
    refute_equal snippet, code
    lib = File.expand_path('../lib', __dir__)
    output = IO.popen([RbConfig.ruby, "-I#{lib}", '-e', code], chdir: @tmp, err: %i[child out], &:read)
    assert $?.success?, output
    assert_equal 'the file', File.read(File.join(@tmp, 'file.bin'))
    assert_equal 'a report', File.read(@srv.local('pub/in/report.pdf'))
    assert_match(/file.bin 8/, output)
  ensure
    FileUtils.rm_rf(@srv.local('pub'))
  end

  def test_net_ftp_ssl_hash_and_data_session_reuse
    @srv.put_local(remote_name('tls.bin'), 'secret data')
    opts = { port: @srv.port, username: FtpcTest::USER, password: FtpcTest::PASSWORD,
             ssl: { ca_file: FtpcTest::CA }, system_roots: false }
    Ftpc::Client.open('127.0.0.1', **opts) do |ftp|
      assert ftp.tls?
      assert_nil ftp.data_tls_resumed?
      assert_equal 'secret data', ftp.retr(remote_name('tls.bin'))
      assert_equal(true, ftp.data_tls_resumed?) if @srv.kind == 'vsftpd' # vsftpd requires it
    end
  end
end

FtpcTest::KINDS.each do |kind, mode|
  klass = Class.new(Minitest::Test) do
    include ServerTests
    include TLSTests if mode == 'tls'
  end
  klass.const_set(:SERVER, -> { FtpcTest.server(kind, mode) })
  Object.const_set("Test#{kind.capitalize}#{mode.capitalize}", klass)
end
