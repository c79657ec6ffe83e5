# frozen_string_literal: true

module Ftpc
  # One library call in progress, and how it runs.
  #
  # The calling thread never enters the library itself. A worker thread (from a small pool)
  # makes the C call, attached with `blocking: true`, while the calling thread waits on a
  # queue. That wait is an ordinary Ruby wait: Thread#raise, Thread#kill, Timeout and signal
  # handlers (Ctrl-C's Interrupt) reach it at once. When one does, the call is stopped with
  # ftp_cancel (or, for a block in progress, by the callback returning "stop") and the calling
  # thread waits for the worker to finish before the interrupt goes on, so the handle is never
  # left in use.
  #
  # Callbacks from the library run on the worker; each sends the Ruby block it has to run back
  # to the calling thread, which runs it and answers. So blocks run on the thread that called,
  # as if the library had called them there, and `break`, `throw`, `return` and exceptions in
  # them behave as anywhere in Ruby: an exception is kept, the transfer stopped cleanly (ABOR)
  # and the exception raised when the call returns; a non-local exit stops the transfer the
  # same way, then goes on where it was going.
  #
  # Not part of the public API.
  class Call
    @registry = {}
    @lock = Mutex.new
    @next_id = 0

    class << self
      def register(call)
        @lock.synchronize do
          @next_id += 1
          call.id = @next_id
          @registry[@next_id] = call
        end
      end

      def unregister(call)
        @lock.synchronize { @registry.delete(call.id) }
      end

      def [](userdata)
        @lock.synchronize { @registry[userdata.address] }
      end

      # The innermost call running on the library handle at `address`.
      def running_on(address)
        @lock.synchronize do
          @registry.values.reverse_each.find { |c| c.client&.handle_address == address }
        end
      end
    end

    # What a block returns to stop the call without an error.
    STOP = Object.new.freeze

    attr_accessor :id, :on_data, :on_progress, :on_read, :on_line, :on_sync, :finished
    attr_reader :client, :thread, :error

    def initialize(client)
      @client = client
      @thread = Thread.current
      @error = nil
      @stopping = false
      @cancelled = false
      @finished = false
      @mailbox = Queue.new
    end

    def userdata
      FFI::Pointer.new(id)
    end

    def cancel!
      @cancelled = true
      @stopping = true
    end

    def cancelled?
      @cancelled
    end

    # Runs `native` (the C call) on a worker and waits for it, running the blocks its
    # callbacks send meanwhile. Returns what `native` returned.
    def run(&native)
      return native.call if Thread.current[:ftpc_worker] # a call made from a worker: inline

      job = Workers::Job.new(native, @mailbox)
      finished = false
      submitted = false
      pending = nil
      begin
        Thread.handle_interrupt(Object => :never) do
          Workers.submit(job)
          submitted = true
        end
        loop do
          kind, payload, reply = @mailbox.pop
          case kind
          when :done
            finished = true
            return payload
          when :crash
            finished = true
            raise payload
          when :callback
            pending = reply
            answer = run_block(payload)
            pending = nil
            reply << answer
          end
        end
      ensure
        stop_and_wait(pending) if submitted && !finished
      end
    end

    # Worker side of a callback: sends `block` to the calling thread and returns its answer,
    # [0 or 1, value].
    def request(&block)
      return [1, nil] if @error || @stopping

      reply = Queue.new
      @mailbox << [:callback, block, reply]
      reply.pop
    end

    # The status a callback returns when it has no block to run.
    def status
      @error || @stopping ? 1 : 0
    end

    private

    def run_block(block)
      return [1, nil] if @error || @stopping

      value = block.call
      value.equal?(STOP) ? [1, nil] : [0, value]
    rescue Exception => e # rubocop:disable Lint/RescueException: raised after the call
      @error = e
      [1, nil]
    end

    # The calling thread is leaving (an interrupt, or break/throw from a block): answer the
    # callback in flight with "stop", cancel the call if it is waiting on the network, and
    # wait for the worker with interrupts deferred, so the handle is free when we go on.
    def stop_and_wait(pending)
      Thread.handle_interrupt(Object => :never) do
        @stopping = true
        if pending
          pending << [1, nil]
        else
          client&.native_cancel_for(self)
        end
        loop do
          kind, _payload, reply = @mailbox.pop
          break unless kind == :callback

          reply << [1, nil]
        end
      end
    end

    public

    WRITE_CB = FFI::Function.new(:int, %i[pointer pointer size_t]) do |ud, data, len|
      call = Call[ud]
      if call.nil?
        1
      else
        chunk = data.read_bytes(len)
        call.request { call.on_data.call(chunk) }.first
      end
    end

    PROGRESS_CB = FFI::Function.new(:int, %i[pointer uint64 int64]) do |ud, done, total|
      call = Call[ud]
      if call.nil?
        1
      elsif call.on_progress
        call.request { call.on_progress.call(done, total.negative? ? nil : total) }.first
      else
        call.status
      end
    end

    READ_CB = FFI::Function.new(:int, %i[pointer pointer size_t pointer]) do |ud, buf, cap, out_len|
      call = Call[ud]
      if call.nil?
        1
      else
        rc, chunk = call.request do
          c = call.on_read.call(cap).to_s.b
          raise Ftpc::InvalidArgumentError, "source gave #{c.bytesize} bytes, more than #{cap}" if c.bytesize > cap

          c
        end
        if rc.zero?
          buf.put_bytes(0, chunk) unless chunk.empty?
          out_len.write(:size_t, chunk.bytesize)
        end
        rc
      end
    end

    LINE_CB = FFI::Function.new(:int, %i[pointer pointer size_t]) do |ud, line, len|
      call = Call[ud]
      if call.nil?
        1
      else
        text = line.read_bytes(len).force_encoding(Encoding::UTF_8)
        call.request { call.on_line.call(text) }.first
      end
    end

    SYNC_CB = FFI::Function.new(:int, %i[pointer int32 pointer uint64 uint64 uint64 int32 pointer]) do |ud, action, path, bytes, done, total, err, msg|
      call = Call[ud]
      if call.nil?
        1
      elsif call.on_sync
        event = SyncEvent.build(action, Native.borrowed_string(path), bytes, done, total, err,
                                Native.borrowed_string(msg))
        call.request { call.on_sync.call(event) }.first
      else
        call.status
      end
    end
  end

  # The worker threads that make library calls for waiting Ruby threads: one per call running
  # at the same time, kept idle afterwards for the next call.
  module Workers
    # A C call to make, and where to report.
    class Job
      def initialize(native, mailbox)
        @native = native
        @mailbox = mailbox
      end

      def run
        result = begin
          [:done, @native.call]
        rescue Exception => e # rubocop:disable Lint/RescueException: handed to the caller
          [:crash, e]
        end
        @mailbox << result
      end
    end

    @lock = Mutex.new
    @jobs = Queue.new
    @idle = 0
    @pid = Process.pid

    def self.submit(job)
      @lock.synchronize do
        if @pid != Process.pid # forked: the parent's workers are not here
          @pid = Process.pid
          @jobs = Queue.new
          @idle = 0
        end
        if @idle.positive?
          @idle -= 1
        else
          spawn
        end
        @jobs << job
      end
    end

    # A new thread inherits its creator's Thread.handle_interrupt masks; a worker must not
    # (it would never die at exit), so it unmasks.
    def self.spawn
      jobs = @jobs
      Thread.new do
        Thread.handle_interrupt(Object => :immediate) do
          Thread.current.name = 'ftpc-worker'
          Thread.current.report_on_exception = false
          Thread.current[:ftpc_worker] = true
          loop do
            jobs.pop.run
            @lock.synchronize { @idle += 1 if jobs.equal?(@jobs) }
          end
        end
      end
    end
  end
end
