# frozen_string_literal: true

module Ftpc
  # The state of one library call in progress: the Ruby blocks its callbacks run, the exception
  # one of them raised, and whether the call was cancelled. The library's callbacks are a few
  # static FFI::Functions; the userdata pointer they receive is this object's id, looked up in
  # a registry while the call runs.
  #
  # Not part of the public API.
  class Call
    @registry = {}
    @lock = Mutex.new
    @next_id = 0

    class << self
      attr_reader :registry

      def register(call)
        @lock.synchronize do
          @next_id += 1
          call.id = @next_id
          @registry[@next_id] = call
        end
        Watcher.wake
      end

      def unregister(call)
        @lock.synchronize { @registry.delete(call.id) }
      end

      def active
        @lock.synchronize { @registry.values }
      end

      def [](userdata)
        @registry[userdata.address]
      end
    end

    # What a block run by #guard returns to stop the call without an error.
    STOP = Object.new.freeze

    attr_accessor :id, :on_data, :on_progress, :on_read, :on_line, :on_sync, :finished
    attr_reader :client, :thread, :error, :jumped

    def initialize(client)
      @client = client
      @thread = Thread.current
      @error = nil
      @jumped = false
      @interrupted = false
      @cancelled = false
      @finished = false
    end

    def userdata
      FFI::Pointer.new(id)
    end

    # Whether the call was asked to stop and the library cannot do it (it has no ftp_cancel):
    # then the next callback stops it.
    def stop_requested?
      !Native::HAVE_CANCEL && (@interrupted || @cancelled)
    end

    # Marks the call cancelled by Client#cancel (its ABORTED result becomes CancelledError).
    def cancel!
      @cancelled = true
    end

    def cancelled?
      @cancelled
    end

    def interrupted?
      @interrupted
    end

    # Called by the watcher thread when the calling thread has an interrupt waiting
    # (Thread#raise, Thread#kill, Timeout): stops the call so the interrupt is delivered now,
    # not when the transfer ends.
    def interrupt!
      return if @interrupted || @finished

      @interrupted = true
      client&.native_cancel_for(self)
    end

    # Runs a Ruby block for a callback and turns its outcome into the callback's return value:
    # 0 to go on, 1 to stop. An exception is kept and re-raised after the call; a non-local
    # exit (break, throw, return) stops the transfer and the method returns nil. Nothing ever
    # unwinds through the library.
    #
    # Interrupts (Thread#raise, Thread#kill, Timeout, Ctrl-C) stay deferred while the block
    # runs, as for the whole call: when one is waiting, the callback stops the call and the
    # interrupt is delivered once the library has returned. Delivering it inside the block
    # would not do: Timeout's interrupt is a `throw`, which cannot be carried across the
    # library and re-thrown.
    def guard
      return 1 if @error || @jumped || stop_requested? || Thread.pending_interrupt?

      done = false
      begin
        value = yield
        done = true
        value.equal?(STOP) || Thread.pending_interrupt? ? 1 : 0
      rescue Exception => e # rubocop:disable Lint/RescueException: re-raised after the call
        @error = e
        done = true
        1
      ensure
        unless done
          @jumped = true
          return 1 # rubocop:disable Lint/EnsureReturn: swallows break/throw so it cannot cross C
        end
      end
    end

    WRITE_CB = FFI::Function.new(:int, %i[pointer pointer size_t]) do |ud, data, len|
      call = Call[ud]
      call ? call.guard { call.on_data.call(data.read_bytes(len)) } : 1
    end

    PROGRESS_CB = FFI::Function.new(:int, %i[pointer uint64 int64]) do |ud, done, total|
      call = Call[ud]
      if call.nil?
        1
      elsif call.on_progress
        call.guard { call.on_progress.call(done, total.negative? ? nil : total) }
      else
        call.stop_requested? ? 1 : 0
      end
    end

    READ_CB = FFI::Function.new(:int, %i[pointer pointer size_t pointer]) do |ud, buf, cap, out_len|
      call = Call[ud]
      if call.nil?
        1
      else
        call.guard do
          chunk = call.on_read.call(cap)
          chunk = chunk.to_s.b
          raise Ftpc::InvalidArgumentError, "source returned #{chunk.bytesize} bytes, more than #{cap}" if chunk.bytesize > cap

          buf.put_bytes(0, chunk) unless chunk.empty?
          out_len.write(:size_t, chunk.bytesize)
        end
      end
    end

    LINE_CB = FFI::Function.new(:int, %i[pointer pointer size_t]) do |ud, line, len|
      call = Call[ud]
      call ? call.guard { call.on_line.call(line.read_bytes(len).force_encoding(Encoding::UTF_8)) } : 1
    end

    SYNC_CB = FFI::Function.new(:int, %i[pointer int32 pointer uint64 uint64 uint64 int32 pointer]) do |ud, action, path, bytes, done, total, err, msg|
      call = Call[ud]
      if call.nil?
        1
      elsif call.on_sync
        call.guard do
          call.on_sync.call(SyncEvent.build(action, Native.borrowed_string(path), bytes, done, total,
                                            err, Native.borrowed_string(msg)))
        end
      else
        call.stop_requested? ? 1 : 0
      end
    end
  end

  # One thread for the whole process that notices interrupts (Thread#raise, Thread#kill,
  # Timeout.timeout) aimed at a thread inside a library call, and cancels that call so the
  # interrupt arrives within POLL seconds instead of when the transfer ends. It sleeps while no
  # call runs.
  module Watcher
    POLL = 0.02
    @lock = Mutex.new
    @cond = ConditionVariable.new
    @thread = nil

    def self.wake
      @lock.synchronize do
        start unless @thread&.alive?
        @cond.signal
      end
    end

    def self.start
      # A new thread inherits its creator's Thread.handle_interrupt masks, and this one is
      # created from inside a call (where interrupts are deferred): unmask, or it could never
      # be killed at exit.
      @thread = Thread.new do
        Thread.handle_interrupt(Object => :immediate) do
          Thread.current.name = 'ftpc-interrupt-watcher'
          Thread.current.report_on_exception = false
          loop do
            @lock.synchronize { @cond.wait(@lock) while Call.registry.empty? }
            sleep POLL
            Call.active.each do |call|
              call.interrupt! if call.thread.pending_interrupt? || !call.thread.alive?
            end
          end
        end
      end
    end
  end
end
