# frozen_string_literal: true

require 'monitor'

module Ftpc
  # An FTP or FTPS session, shaped like Net::FTP: the same constructor arguments, block form and
  # method names (getbinaryfile, putbinaryfile, retrbinary, storlines, mlsd, nlst, sendcmd, ...),
  # beside ftpc's own (download_file, upload_file, list, ensure_directory, sync, mirror,
  # retry_policy, quote, cancel).
  #
  #   Ftpc::Client.open('ftpes://user:secret@ftp.example.com/', ca_file: 'ca.pem') do |ftp|
  #     ftp.download_file('pub/file.bin', 'file.bin') { |done, total| print "#{done}/#{total}\r" }
  #   end
  #
  # Every call that waits on the network gives up Ruby's global lock, so other threads run
  # meanwhile. Blocks given to transfers run on the calling thread. A block that raises stops
  # the transfer (ABOR; the session stays usable) and the method raises that exception;
  # `break`, `throw` and `return` in a block stop it the same way and then go where they were
  # going. Thread#raise, Thread#kill, Timeout.timeout and Ctrl-C interrupt a call at once,
  # also when the server is silent; Client#cancel does the same from another thread.
  #
  # A session is meant for one thread at a time; calls from several threads are serialised.
  # The handle is freed by #close (or the block form), and otherwise by the garbage collector,
  # which frees without network traffic.
  #
  # Text from the server (welcome, replies, names, error messages) is untrusted: it may hold
  # terminal control characters. Sanitise it before showing it on a terminal.
  class Client
    DEFAULT_BLOCKSIZE = 65_536
    FTP_PORT = 21

    # Opens a session; with a block, yields it and always closes it, returning the block's
    # value. See #initialize for the arguments.
    def self.open(*args, **kw)
      ftp = new(*args, **kw)
      return ftp unless block_given?

      begin
        yield ftp
      ensure
        ftp.close
      end
    end

    # The decoded path of the URL the session was opened with ("" when it had none).
    attr_reader :url_path
    # Net::FTP's flag: getbinaryfile continues a local file, putbinaryfile a remote one.
    attr_accessor :resume

    # Client.new(host = nil, user = nil, passwd = nil, acct = nil, **options)
    #
    # `host` is a host name or address, or an ftp://, ftpes:// (explicit TLS) or ftps://
    # (implicit TLS) URL with the user and password in it. With a host the session connects;
    # with a user too it logs in (as Net::FTP does). Options (all keywords; times in seconds):
    #
    # port:, username:, password:, account:: as the positional arguments.
    # tls:: :none (default), :explicit (TLS on control and data; also true), :control, :try,
    #   :implicit. ssl:: Net::FTP's form: true, or a Hash with ca_file, ca_path, hostname,
    #   min_version, max_version, verify_mode.
    # ca_file:, ca_dir:, system_roots: (default true), pins: ["sha256//..."], server_name:,
    #   client_cert:, client_key:, min_version:, max_version: (:TLS1_2, :TLS1_3), ccc:,
    #   data_protection: (:private default, :clear) or private_data_connection:,
    #   allow_missing_close_notify:. verify: false turns off certificate verification: anyone
    #   on the path can then read and change the session. Never do that outside tests.
    # timeout: (every timeout), open_timeout:/connect_timeout:, read_timeout:/reply_timeout:,
    #   data_connect_timeout:, accept_timeout:, idle_timeout:, keepalive: (NOOP interval).
    # passive: true (EPSV then PASV, default), :epsv, :pasv, false (active); active: { bind:,
    #   advertise:, ports: 50000..50100, eprt: }; trust_pasv_address:.
    # binary: (default true), utf8:, block_size:, retry: (RetryPolicy, Hash or attempts:
    #   connecting and logging in are retried too), max_listing_entries:, max_listing_bytes:,
    #   max_tree_depth:, max_tree_entries:.
    def initialize(host = nil, user = nil, passwd = nil, acct = nil, port: nil, username: nil,
                   password: nil, account: nil, **options)
      @monitor = Monitor.new
      @cancel_lock = Mutex.new
      @in_call = nil
      @resume = false
      @retry_block = nil
      @children = {}
      @child_seq = 0
      @retry_policy = nil
      @connected = false
      @url_path = nil
      @binary = options.fetch(:binary, true) ? true : false
      @passive = !(options[:passive] == false || options[:active])
      opts = Options.build(options)
      out = FFI::MemoryPointer.new(:pointer)
      begin
        rc = Native.ftp_new(opts, out)
        raise Ftpc.error_for(rc, Native.ftp_last_reply_code, Native.ftp_last_error_message) unless rc.zero?
      ensure
        Native.ftp_options_free(opts)
      end
      @raw = out.read_pointer
      @handle = FFI::AutoPointer.new(@raw, Native.method(:ftp_free))
      user ||= username
      passwd ||= password
      acct ||= account
      return unless host

      if host.to_s.match?(%r{\A[a-z][a-z0-9+.-]*://}i)
        connect_url(host.to_s, passwd)
      else
        connect(host, port || FTP_PORT)
        login(user, passwd, acct) if user
      end
    rescue Exception # rubocop:disable Lint/RescueException: free the handle, then re-raise
      free if @raw
      raise
    end

    # Connects a session made without a host (Net::FTP#connect).
    def connect(host, port = FTP_PORT)
      invoke { |h| Native.ftp_open(h, cstr(host), Integer(port)) }
      connected!
      nil
    end

    # Connects to an ftp://, ftpes:// or ftps:// URL and logs in with its user (anonymously
    # without one); `password` is used when the URL has a user but no password.
    def connect_url(url, password = nil)
      out = FFI::MemoryPointer.new(:pointer)
      invoke { |h| Native.ftp_open_url(h, cstr(url), password && cstr(password), out) }
      @url_path = Native.take_string(out) || ''
      connected!
      nil
    end

    # USER, PASS (and ACCT when asked), then FEAT and UTF-8. The password never appears in
    # any message.
    def login(user = 'anonymous', passwd = nil, acct = nil)
      passwd ||= user == 'anonymous' ? 'anonymous@' : ''
      invoke { |h| Native.ftp_login(h, cstr(user), cstr(passwd), acct && cstr(acct)) }
      nil
    end

    # Sends QUIT, waits for its answer and frees the session. Never raises for the network
    # (a session whose server is gone still closes). Safe to call twice; from another thread
    # it cancels the call running there first. Net::FTP#close.
    def close
      finish { |raw| Native.ftp_close(raw) }
      nil
    end

    # As #close, but raises when the server did not answer QUIT with 2xx (the session is freed
    # in every case).
    def quit
      rc = nil
      msg = nil
      finish do |raw|
        rc = Native.ftp_quit(raw)
        msg = Native.ftp_last_error_message unless rc.zero?
      end
      raise Ftpc.error_for(rc, Native.ftp_last_reply_code, msg) if rc&.negative?

      nil
    end

    # Frees the session at once without any network traffic (no QUIT): what the garbage
    # collector does with a session nobody closed.
    def free
      finish { |raw| Native.ftp_free(raw) }
      nil
    end

    def closed?
      @raw.nil?
    end

    # Stops the call running on this session, from any other thread: that call raises
    # Ftpc::CancelledError soon, without waiting for the server or a timeout, and the session
    # stays usable (it reconnects and logs in again on the next call, back in the same
    # directory). Returns true when a call was stopped, false when none was running (a cancel
    # that comes late never stops a later call).
    def cancel
      @cancel_lock.synchronize do
        call = @in_call
        return false unless @raw && call && !call.finished

        call.cancel!
        return true unless Native::HAVE_CANCEL

        Native.ftp_cancel(@raw) == OK
      end
    end

    # ---- state the server told ----

    # The welcome message (untrusted server text).
    def welcome
      getter { |h| Native.borrowed_string(Native.ftp_welcome(h)) }
    end

    # The last reply code on this session (Net::FTP#last_response_code), 0 before any.
    def last_response_code
      getter { |h| Native.ftp_reply_code(h) }
    end
    alias lastresp last_response_code

    # The text of the last reply (untrusted server text).
    def last_response
      getter { |h| Native.borrowed_string(Native.ftp_reply_text(h)) }
    end

    # Whether the control connection is under TLS.
    def tls?
      bool_out { |h, out| Native.ftp_is_tls(h, out) }
    end
    alias ssl? tls?

    # Whether the last TLS data connection resumed the control connection's TLS session (nil
    # before the first one).
    def data_tls_resumed?
      bool_out { |h, out| Native.ftp_last_data_tls_resumed(h, out) }
    rescue NotAvailableError
      nil
    end

    # Whether FEAT listed `name`.
    def feature?(name)
      bool_out { |h, out| Native.ftp_feat_has(h, cstr(name), out) }
    end

    # The parameters FEAT listed for `name` (nil when the feature is not listed).
    def feature_params(name)
      out = FFI::MemoryPointer.new(:pointer)
      invoke { |h| Native.ftp_feat_params(h, cstr(name), out) }
      Native.take_string(out)
    rescue NotAvailableError
      nil
    end

    def binary
      @binary
    end

    # Net::FTP#passive: true for passive data connections (EPSV, then PASV), false for
    # active ones (PORT/EPRT). Settable on a connected session (with a library that has
    # ftp_set_passive); finer settings are Client.new's passive: and active:.
    def passive
      @passive
    end

    def passive=(value)
      raise NotImplementedError, 'this libftpc cannot switch passive mode (no ftp_set_passive)' unless Native::HAVE_SET_PASSIVE

      value = value ? true : false
      invoke { |h| Native.ftp_set_passive(h, value) }
      @passive = value
    end

    # PROT P (:private, the default) or PROT C (:clear) for the following data connections of
    # a TLS session (ftplib's prot_p/prot_c). :clear is refused under tls: :explicit, which
    # requires TLS on data connections; use tls: :control for it.
    def data_protection=(value)
      raise NotImplementedError, 'this libftpc has no ftp_set_data_protection' unless Native::HAVE_SET_DATA_PROTECTION

      code = { private: 0, clear: 1 }.fetch(value.to_sym) { raise ArgumentError, "data_protection: #{value.inspect}" }
      invoke { |h| Native.ftp_set_data_protection(h, code) }
    end

    # Chooses TYPE I (true) or TYPE A (false) for later transfers (sent only when it changes).
    def binary=(value)
      value = value ? true : false
      invoke { |h| Native.ftp_set_transfer_type(h, value ? 0 : 1) }
      @binary = value
    end

    # ---- commands ----

    def pwd
      string_out { |h, out| Native.ftp_pwd(h, out) }
    end
    alias getdir pwd

    def chdir(dirname)
      return cdup if dirname == '..'

      invoke { |h| Native.ftp_cwd(h, cstr(dirname)) }
      nil
    end
    alias cwd chdir

    def cdup
      invoke { |h| Native.ftp_cdup(h) }
      nil
    end

    # MKD; returns the path the server reports.
    def mkdir(dirname)
      string_out { |h, out| Native.ftp_mkd(h, cstr(dirname), out) }
    end

    def rmdir(dirname)
      invoke { |h| Native.ftp_rmd(h, cstr(dirname)) }
      nil
    end

    def delete(filename)
      invoke { |h| Native.ftp_delete(h, cstr(filename)) }
      nil
    end

    def rename(fromname, toname)
      invoke { |h| Native.ftp_rename(h, cstr(fromname), cstr(toname)) }
      nil
    end

    # SIZE, in bytes.
    def size(filename)
      out = FFI::MemoryPointer.new(:uint64)
      invoke { |h| Native.ftp_size(h, cstr(filename), out) }
      out.read(:uint64)
    end

    # MDTM as Net::FTP returns it: "YYYYMMDDhhmmss" (UTC).
    def mdtm(filename)
      mtime(filename).strftime('%Y%m%d%H%M%S')
    end

    # The modification time as a Time (UTC, or local with `local`).
    def mtime(filename, local = false)
      out = FFI::MemoryPointer.new(:int64)
      invoke { |h| Native.ftp_mdtm(h, cstr(filename), out) }
      t = Time.at(out.read(:int64)).utc
      local ? t.localtime : t
    end

    # MFMT: sets the modification time.
    def set_mtime(filename, time)
      invoke { |h| Native.ftp_mfmt(h, cstr(filename), time.to_i) }
      nil
    end

    def noop
      invoke { |h| Native.ftp_noop(h) }
      nil
    end

    # ABOR outside a transfer. To stop a transfer, raise or break in its block, or #cancel.
    def abort
      invoke { |h| Native.ftp_abort(h) }
      nil
    end

    # Sends any command line and returns the Reply (code and text), whatever the code: 4xx
    # and 5xx are answers here, not exceptions. CR, LF and NUL are refused.
    def quote(command)
      code = FFI::MemoryPointer.new(:int)
      text = FFI::MemoryPointer.new(:pointer)
      invoke { |h| Native.ftp_quote(h, cstr(command), code, text) }
      Reply.new(code.read(:int), Native.take_string(text) || '')
    end

    # Net::FTP#sendcmd: returns "code text"; a 4xx reply raises TemporaryError, a 5xx
    # PermanentError, anything but 1xx-3xx UnexpectedReplyError (with reply_code).
    def sendcmd(cmd)
      reply = quote(cmd)
      klass = case reply.code
              when 100..399 then return reply.to_s
              when 400..499 then TemporaryError
              when 500..599 then PermanentError
              else UnexpectedReplyError
              end
      code = { TemporaryError => ERR_TEMPORARY, PermanentError => ERR_PERMANENT }.fetch(klass, ERR_UNEXPECTED_REPLY)
      raise Ftpc.error_for(code, reply.code, "#{cmd.split.first}: #{reply}", klass: klass)
    end

    # Net::FTP#voidcmd: raises unless the reply is 2xx; returns nil.
    def voidcmd(cmd)
      resp = sendcmd(cmd)
      code = resp[0, 3].to_i
      unless (200..299).cover?(code)
        raise Ftpc.error_for(ERR_UNEXPECTED_REPLY, code, "#{cmd.split.first}: #{resp}",
                             klass: UnexpectedReplyError)
      end
      nil
    end

    def site(arg)
      voidcmd("SITE #{arg}")
    end

    def system
      sendcmd('SYST')[4..]
    end

    def status(pathname = nil)
      sendcmd(pathname ? "STAT #{pathname}" : 'STAT')
    end

    def help(arg = nil)
      sendcmd(arg ? "HELP #{arg}" : 'HELP')
    end

    # ---- listings ----

    # The entries of a directory (MLSD where the server has it, parsed LIST otherwise; no "."
    # or ".."), collected whole within the listing bounds and retried like the production
    # layer. Returns an Array of Entry.
    def list(path = nil)
      no_open_children!
      out = FFI::MemoryPointer.new(:pointer)
      invoke { |h| Native.ftp_dir_list_open(h, opt_cstr(path), out) }
      list = out.read_pointer
      begin
        Array.new(Native.ftp_dir_list_count(list)) do |i|
          Entry.from_native(Native.ftp_dir_list_entry(list, i))
        end
      ensure
        Native.ftp_dir_list_free(list)
      end
    end
    alias entries list

    # MLSD, streamed: yields each Entry as it arrives (including "." and ".." as the server
    # sends them: type :cdir, :pdir), or returns them all as an Array (Net::FTP#mlsd).
    def mlsd(pathname = nil, &block)
      each_entry(pathname, via: :mlsd, &block)
    end

    # Streams the entries of a directory from MLSD (via: :mlsd, the default) or from parsed
    # LIST (via: :list, for servers without MLSD). Without a block, returns an Array.
    def each_entry(path = nil, via: :mlsd)
      return enum_for(:each_entry, path, via: via).to_a unless block_given?

      kind = { mlsd: 0, list: 1 }.fetch(via) { raise ArgumentError, "via: #{via.inspect}" }
      out = FFI::MemoryPointer.new(:pointer)
      # the listing holds the session until it is closed: other threads wait for it
      @monitor.synchronize do
        if Native::HAVE_LISTING
          invoke { |h| Native.ftp_listing_open(h, opt_cstr(path), kind, out) }
          it = out.read_pointer
          # an enumerator left half-way never reaches `ensure`: the collector frees it then
          token, releaser = child_opened(:ftp_listing_free)
          auto = FFI::AutoPointer.new(it, releaser)
          step = :ftp_listing_next
          close = :ftp_listing_close
        else
          invoke { |h| Native.public_send(kind.zero? ? :ftp_mlsd_open : :ftp_list_open, h, opt_cstr(path), out) }
          it = out.read_pointer
          token, = child_opened(:ftp_mlsd_close)
          step = :ftp_mlsd_next
          close = :ftp_mlsd_close
        end
        begin
          ent = FFI::MemoryPointer.new(:pointer)
          loop do
            rc = invoke(thread_errors: true) { Native.public_send(step, it, ent) }
            break if rc == DONE

            yield Entry.from_native(ent.read_pointer)
          end
        ensure
          child_closed(token)
          auto&.autorelease = false
          Native.public_send(close, it)
        end
      end
      nil
    end

    # MLST: one path's facts as an Entry.
    def mlst(path = nil)
      out = FFI::MemoryPointer.new(:pointer)
      invoke { |h| Native.ftp_mlst(h, opt_cstr(path), out) }
      e = out.read_pointer
      begin
        Entry.from_native(e)
      ensure
        Native.ftp_entry_free(e)
      end
    end

    # NLST: the names in a directory (Net::FTP#nlst).
    def nlst(dir = nil)
      names = []
      lines(:ftp_nlst, opt_cstr(dir)) { |l| names << l }
      names
    end

    # LIST as raw lines (Net::FTP#list, #ls, #dir): yields each, or returns them. The lines are
    # server text (untrusted). For parsed entries use #list.
    def dir(*args, &block)
      path = args.empty? ? nil : args.join(' ')
      result = []
      lines(:ftp_list, opt_cstr(path)) { |l| block ? block.call(l) : result << l }
      block ? nil : result
    end
    alias ls dir

    # ---- transfers ----

    # RETR `path` from byte `offset`. Each block of data goes to the block, or is written to
    # `dest` (an IO or anything with #write, or a String to append to); with neither, returns
    # the data as a binary String. `progress` is called with (bytes so far, total or nil).
    # Returns the number of bytes received when given a block or `dest`.
    def retr(path, dest = nil, offset: 0, progress: nil, &block)
      count = 0
      buffer = dest.nil? && block.nil? ? String.new(encoding: Encoding::BINARY) : nil
      sink = sink_for(block || dest || buffer)
      call = Call.new(self)
      call.on_data = ->(chunk) { count += chunk.bytesize; sink.call(chunk) }
      call.on_progress = progress
      invoke(call) { |h, c| Native.ftp_retr(h, cstr(path), Integer(offset), Call::WRITE_CB, progress_cb(c), c.userdata) }
      buffer || count
    end

    # STOR `path` with data from `source`: a String, or an IO (anything with #read). `offset`
    # restarts at that byte of the remote file (REST); `append` sends APPE instead. `total`
    # (bytes; found from a String, File or StringIO when not given) lets progress report it and
    # makes a source that ends early an error. The block, or `progress`, is told (bytes so
    # far, total or nil). Returns the number of bytes sent.
    def stor(path, source, offset: 0, total: nil, append: false, progress: nil, &block)
      reader = reader_for(source)
      total ||= total_of(source)
      call = Call.new(self)
      call.on_read = reader
      call.on_progress = progress || block
      fn = append ? :ftp_appe : :ftp_stor
      invoke(call) do |h, c|
        Native.public_send(fn, h, cstr(path), Integer(offset), total || -1, Call::READ_CB, progress_cb(c), c.userdata)
      end
      reader.count
    end

    # APPE: as #stor with append: true.
    def appe(path, source, **kw, &block)
      stor(path, source, **kw, append: true, &block)
    end

    # Net::FTP#retrbinary: runs `cmd` ("RETR file", or any command that opens a data
    # connection) in binary mode and yields the data in blocks of up to `blocksize` bytes.
    def retrbinary(cmd, blocksize = DEFAULT_BLOCKSIZE, rest_offset = nil)
      self.binary = true unless @binary
      transfercmd(cmd, rest_offset) do |stream|
        while (chunk = stream.read(blocksize))
          yield chunk
        end
      end
      nil
    end

    # Net::FTP#retrlines: runs `cmd` in ASCII mode and yields each line without its ending.
    def retrlines(cmd, &block)
      block ||= ->(line) { $stdout.puts(line) }
      call = Call.new(self)
      call.on_line = block
      invoke(call) { |h, c| Native.ftp_retr_lines(h, cstr(cmd), Call::LINE_CB, c.userdata) }
      nil
    end

    # Net::FTP#storbinary: sends `file` (an IO) with `cmd` ("STOR file", "APPE file"), after
    # REST `rest_offset`, yielding each block sent.
    def storbinary(cmd, file, blocksize = DEFAULT_BLOCKSIZE, rest_offset = nil)
      self.binary = true unless @binary
      transfercmd(cmd, rest_offset) do |stream|
        while (chunk = file.read(blocksize))
          stream.write(chunk)
          yield chunk if block_given?
        end
      end
      nil
    end

    # Net::FTP#storlines: sends the lines of `file` with "STOR path" in ASCII mode (each line
    # end goes out as CRLF), yielding each line.
    def storlines(cmd, file, &block)
      verb, path = cmd.split(' ', 2)
      raise ArgumentError, "storlines needs a STOR command, not #{verb.inspect}" unless verb&.casecmp?('STOR') && path

      source = if block
                 Object.new.tap do |o|
                   o.define_singleton_method(:read) do |_n|
                     line = file.gets
                     block.call(line) if line
                     line
                   end
                 end
               else
                 file
               end
      call = Call.new(self)
      call.on_read = reader_for(source)
      invoke(call) { |h, c| Native.ftp_stor_lines(h, cstr(path), Call::READ_CB, c.userdata) }
      nil
    end

    # Net::FTP#getbinaryfile: downloads `remotefile` to `localfile` (nil: returns the data),
    # yielding each block. With #resume set, continues a local file from its length.
    def getbinaryfile(remotefile, localfile = File.basename(remotefile), _blocksize = DEFAULT_BLOCKSIZE, &block)
      self.binary = true unless @binary
      return retr(remotefile, nil, &block) && nil if localfile.nil? && block
      return retr(remotefile) if localfile.nil?

      offset = @resume ? (File.size?(localfile) || 0) : 0
      File.open(localfile, offset.positive? ? 'ab' : 'wb') do |f|
        retr(remotefile, offset: offset) do |chunk|
          f.write(chunk)
          block&.call(chunk)
        end
      end
      nil
    end

    # Net::FTP#gettextfile: downloads in ASCII mode, line by line (written with "\n").
    def gettextfile(remotefile, localfile = File.basename(remotefile), &block)
      result = localfile.nil? ? +'' : nil
      f = localfile && File.open(localfile, 'w')
      begin
        retrlines("RETR #{remotefile}") do |line|
          f ? f.puts(line) : result << line << "\n"
          block&.call(line)
        end
      ensure
        f&.close
      end
      result
    end

    # Net::FTP#putbinaryfile: uploads `localfile` to `remotefile`, yielding each block. With
    # #resume set, continues the remote file from its size.
    def putbinaryfile(localfile, remotefile = File.basename(localfile), _blocksize = DEFAULT_BLOCKSIZE, &block)
      self.binary = true unless @binary
      offset = 0
      if @resume
        begin
          offset = size(remotefile)
        rescue PermanentError
          offset = 0
        end
      end
      File.open(localfile, 'rb') do |f|
        f.seek(offset)
        source = block ? tee(f, block) : f
        stor(remotefile, source, offset: offset, total: f.size)
      end
      nil
    end

    # Net::FTP#puttextfile: uploads `localfile` in ASCII mode, yielding each line.
    def puttextfile(localfile, remotefile = File.basename(localfile), &block)
      File.open(localfile) { |f| storlines("STOR #{remotefile}", f, &block) }
      nil
    end

    # Net::FTP#get / #put: binary or text by #binary.
    def get(remotefile, localfile = File.basename(remotefile), blocksize = DEFAULT_BLOCKSIZE, &block)
      @binary ? getbinaryfile(remotefile, localfile, blocksize, &block) : gettextfile(remotefile, localfile, &block)
    end

    def put(localfile, remotefile = File.basename(localfile), blocksize = DEFAULT_BLOCKSIZE, &block)
      @binary ? putbinaryfile(localfile, remotefile, blocksize, &block) : puttextfile(localfile, remotefile, &block)
    end

    # Opens a data connection for any command (RETR, STOR, LIST, ...), after REST
    # `rest_offset`, and yields a DataStream; it is closed when the block ends (reading the
    # final reply) or aborted (ABOR) when the block raises or breaks. Without a block returns
    # the stream: close or abort it yourself; until then the session refuses other calls.
    def transfercmd(cmd, rest_offset = nil)
      out = FFI::MemoryPointer.new(:pointer)
      unless block_given?
        invoke { |h| Native.ftp_data_open(h, cstr(cmd), Integer(rest_offset || 0), out) }
        return DataStream.new(self, out.read_pointer)
      end

      # the stream holds the session until it ends: other threads wait for it
      @monitor.synchronize do
        invoke { |h| Native.ftp_data_open(h, cstr(cmd), Integer(rest_offset || 0), out) }
        stream = DataStream.new(self, out.read_pointer)
        ok = false
        begin
          result = yield stream
          ok = true
          result
        ensure
          ok ? stream.close : stream.abort
        end
      end
    end

    # ---- the production layer ----

    # Downloads `remote` to `local` (a path, or an open File) through a partial file renamed
    # into place only when complete, retrying transient failures and resuming with REST. With
    # `resume`, continues a partial file an earlier call left. The block is told (bytes of the
    # file so far, total or nil). Returns `local`.
    def download_file(remote, local, resume: false, progress: nil, &block)
      no_open_children!
      call = Call.new(self)
      call.on_progress = progress || block
      if local.respond_to?(:fileno)
        local.flush
        invoke(call) { |h, c| Native.ftp_download_fd(h, cstr(remote), local.fileno, progress_cb(c), c.userdata) }
      else
        invoke(call) do |h, c|
          Native.ftp_download_file(h, cstr(remote), cstr(local), resume ? true : false, progress_cb(c), c.userdata)
        end
      end
      local
    end

    # Uploads `local` (a path, or an open File) to `remote`, retrying transient failures by
    # continuing from what the server kept and checking the size at the end. With
    # `temporary_name`, uploads to ".NAME.ftpc-part" and renames on success, so readers never
    # see a partial file. The block is told (bytes so far, total). Returns `remote`.
    def upload_file(local, remote, temporary_name: false, progress: nil, &block)
      no_open_children!
      call = Call.new(self)
      call.on_progress = progress || block
      if local.respond_to?(:fileno)
        local.flush
        invoke(call) { |h, c| Native.ftp_upload_fd(h, local.fileno, cstr(remote), progress_cb(c), c.userdata) }
      else
        invoke(call) do |h, c|
          Native.ftp_upload_file(h, cstr(local), cstr(remote), temporary_name ? true : false, progress_cb(c), c.userdata)
        end
      end
      remote
    end

    # `mkdir -p`: creates each missing directory of `path`; existing ones are fine.
    def ensure_directory(path)
      no_open_children!
      invoke { |h| Native.ftp_ensure_directory(h, cstr(path)) }
      nil
    end
    alias mkdir_p ensure_directory

    # Makes the remote directory hold what `local_dir` holds (uploads new and changed files,
    # creates directories; with `delete`, removes what is not local; `dry_run` changes
    # nothing). Yields a SyncEvent per path and returns them all. A failed path does not stop
    # the others; at the end the first failure is raised, with every event in its #events.
    def sync(local_dir, remote_dir, delete: false, dry_run: false, &block)
      tree_walk(:ftp_sync_directory, local_dir, remote_dir, delete, dry_run, block)
    end

    # The reverse of #sync: makes `local_dir` hold what the remote directory holds. Names from
    # the server that are not one plain path component are refused, never written.
    def mirror(remote_dir, local_dir, delete: false, dry_run: false, &block)
      tree_walk(:ftp_mirror_directory, remote_dir, local_dir, delete, dry_run, block)
    end

    # Sets the retry policy of the production-layer calls: a RetryPolicy, a Hash of its fields
    # (max_attempts:, initial_delay:, multiplier:, max_delay:, jitter:; seconds), or a number
    # of attempts (false: never retry). Before connecting, it is kept and set once connected
    # (to retry connecting and logging in too, give `retry:` to Client.new).
    def retry_policy=(policy)
      @retry_policy = RetryPolicy.coerce(policy)
      apply_retry_policy if @connected
    end

    # Calls the block before each retry of a production-layer call with (attempt, error,
    # delay in seconds); the block returning false vetoes the retry (the call fails with that
    # error), and a block that raises vetoes it too (the call raises that exception). Without
    # a block, removes it. The library takes the callback only once connected, so the retries
    # of connecting and logging in are not reported to it.
    def on_retry(&block)
      @retry_block = block
      apply_retry_block if @connected
      nil
    end

    def inspect
      "#<#{self.class} #{closed? ? 'closed' : 'open'}>"
    end

    # ---- internals ----

    RETRY_CB = FFI::Function.new(:int, %i[pointer uint32 int32 int pointer uint32]) do |ud, attempt, code, reply, msg, delay|
      # userdata is the handle's address; the call running on it is the one retrying
      call = Call.running_on(ud.address)
      client = call&.client
      if call.nil?
        0
      else
        err = Ftpc.error_for(code, reply, Native.borrowed_string(msg))
        call.request { client.retry_block&.call(attempt, err, delay / 1000.0) == false ? Call::STOP : nil }.first
      end
    end

    attr_reader :retry_block

    def current_call
      @in_call
    end

    # The address of the library handle (nil once closed).
    def handle_address
      @raw&.address
    end

    private def connected!
      @connected = true
      apply_retry_policy if @retry_policy
      apply_retry_block if @retry_block
    end

    private def apply_retry_policy
      args = @retry_policy.native_args
      invoke { |h| Native.ftp_set_retry_policy(h, *args) }
    end

    private def apply_retry_block
      invoke do |h|
        if @retry_block
          Native.ftp_set_retry_callback(h, Client::RETRY_CB, FFI::Pointer.new(h.address))
        else
          Native.ftp_set_retry_callback(h, nil, nil)
        end
      end
    end

    # Listings and data streams still open on this session. Returns a token for
    # child_closed and a releaser for the child's FFI::AutoPointer, which calls `free_fn` and
    # forgets the child (it holds neither the child nor this client).
    def child_opened(free_fn)
      token = (@child_seq += 1)
      children = @children
      children[token] = true
      releaser = lambda do |ptr|
        Native.public_send(free_fn, ptr)
        children.delete(token)
      end
      [token, releaser]
    end

    def child_closed(token)
      @children.delete(token)
    end

    # The production-layer calls wait forever in libftpc 0.1 while a listing or data stream
    # is open on their session (every other call fails at once with InvalidStateError):
    # refuse them here the same way.
    private def no_open_children!
      return if @children.empty?

      raise Ftpc.error_for(ERR_INVALID_STATE, 0, 'a listing or data stream is still open on this session; ' \
                                                 'close it first', klass: InvalidStateError)
    end

    # Used by Call when its thread is interrupted: cancels `call` if it is still running.
    def native_cancel_for(call)
      @cancel_lock.synchronize do
        Native.ftp_cancel(@raw) if Native::HAVE_CANCEL && @raw && !call.finished
      end
    end

    # Runs one library call: serialises it with other threads, makes it on a worker while
    # this thread waits (see Call), and turns a failure into an exception. `thread_errors`
    # reads the failure from the worker's thread-local state (for calls on listings and data
    # streams, whose errors are kept there and on the parent handle). Returns the result code.
    def invoke(call = nil, thread_errors: false)
      @monitor.synchronize do
        raw = @raw
        raise closed_error unless raw

        call ||= Call.new(self)
        Call.register(call)
        prev = @in_call
        @in_call = call
        begin
          rc, tl = call.run do
            r = yield raw, call
            [r, r.negative? && thread_errors ? [Native.ftp_last_reply_code, Native.ftp_last_error_message] : nil]
          end
        ensure
          @cancel_lock.synchronize { call.finished = true }
          @in_call = prev
          Call.unregister(call)
        end
        raise call.error if call.error
        raise error_from(rc, raw, call, tl) if rc.negative?

        rc
      end
    end

    private

    def error_from(rc, raw, call, thread_errors)
      if thread_errors
        reply, msg = thread_errors
      else
        reply = Native.ftp_errreply(raw)
        msg = Native.borrowed_string(Native.ftp_errmsg(raw))
      end
      if rc == ERR_ABORTED
        return Ftpc.error_for(rc, reply, msg, klass: CancelledError) if call.cancelled?
      end
      Ftpc.error_for(rc, reply, msg)
    end

    def closed_error
      Ftpc.error_for(ERR_INVALID_STATE, 0, 'the session is closed', klass: InvalidStateError)
    end

    def getter
      @monitor.synchronize do
        raise closed_error unless @raw

        yield @raw
      end
    end

    def bool_out
      out = FFI::MemoryPointer.new(:bool)
      invoke { |h| yield h, out }
      out.read(:bool)
    end

    def string_out
      out = FFI::MemoryPointer.new(:pointer)
      invoke { |h| yield h, out }
      Native.take_string(out)
    end

    def lines(fn, arg, &block)
      call = Call.new(self)
      call.on_line = block
      invoke(call) { |h, c| Native.public_send(fn, h, arg, Call::LINE_CB, c.userdata) }
    end

    def tree_walk(fn, from, to, delete, dry_run, block)
      no_open_children!
      events = []
      call = Call.new(self)
      call.on_sync = lambda do |event|
        events << event
        block&.call(event)
      end
      begin
        invoke(call) do |h, c|
          Native.public_send(fn, h, cstr(from), cstr(to), delete ? true : false, dry_run ? true : false,
                             Call::SYNC_CB, c.userdata)
        end
      rescue Error => e
        e.events = events
        raise
      end
      events
    end

    # Frees the handle once: detaches it from this object (and from the finalizer) under the
    # cancel lock, so a cancel from another thread never reaches freed memory.
    def finish
      if @in_call && @in_call.thread != Thread.current
        cancel
      elsif @in_call
        raise Ftpc.error_for(ERR_BUSY, 0, 'close called from inside a callback of this session', klass: BusyError)
      end
      @monitor.synchronize do
        raw = detach
        yield raw if raw
      end
    end

    def detach
      @cancel_lock.synchronize do
        raw = @raw
        return nil unless raw

        @raw = nil
        @handle.autorelease = false
        raw
      end
    end

    # The progress callback to pass: none when there is no block to tell and the library can
    # cancel by itself, so a plain transfer never takes the global lock back.
    def progress_cb(call)
      call.on_progress || !Native::HAVE_CANCEL ? Call::PROGRESS_CB : nil
    end

    def cstr(value)
      -value.to_s
    end

    def opt_cstr(value)
      value.nil? || value.to_s.empty? ? nil : cstr(value)
    end

    def sink_for(dest)
      if dest.respond_to?(:call)
        dest
      elsif dest.respond_to?(:write)
        ->(chunk) { dest.write(chunk) }
      elsif dest.respond_to?(:<<)
        ->(chunk) { dest << chunk }
      else
        raise ArgumentError, "cannot write to #{dest.class}"
      end
    end

    # A callable that hands out at most `capacity` bytes per call ("" at the end), counting
    # what it gave.
    class Reader
      attr_reader :count

      def initialize(source)
        @source = source
        @pending = nil
        @count = 0
      end

      def call(capacity)
        if @pending.nil? || @pending.empty?
          @pending = next_chunk(capacity)
          return '' if @pending.nil?
        end
        chunk = @pending.byteslice(0, capacity)
        @pending = @pending.byteslice(chunk.bytesize..)
        @count += chunk.bytesize
        chunk
      end

      private

      def next_chunk(capacity)
        if @source.nil?
          nil
        elsif @source.is_a?(String)
          s = @source
          @source = nil
          s.b
        else
          data = @source.read(capacity)
          data&.b
        end
      end
    end

    def reader_for(source)
      unless source.is_a?(String) || source.respond_to?(:read)
        raise ArgumentError, "cannot read from #{source.class} (give a String or an IO)"
      end

      Reader.new(source)
    end

    def total_of(source)
      return source.bytesize if source.is_a?(String)
      return source.size - source.pos if source.respond_to?(:size) && source.respond_to?(:pos)

      nil
    rescue StandardError
      nil
    end

    def tee(io, block)
      Object.new.tap do |o|
        o.define_singleton_method(:read) do |n|
          data = io.read(n)
          block.call(data) if data
          data
        end
      end
    end
  end

  # Net::FTP's name for the same class, for code that moves over with a require change.
  FTP = Client

  module Error
    # For Client#sync and #mirror: every SyncEvent of the call that failed.
    attr_accessor :events
  end
end
