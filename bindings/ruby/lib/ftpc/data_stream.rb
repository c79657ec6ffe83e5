# frozen_string_literal: true

module Ftpc
  # An open data connection from Client#transfercmd: read the data of a RETR or LIST, or write
  # that of a STOR. End it with #close (reads the final reply; raises unless it was 2xx and a
  # download was complete) or #abort (ABOR). Until then the session refuses other calls. A
  # stream nobody ended is freed by the garbage collector (the session reconnects on its next
  # call).
  class DataStream
    def initialize(client, ptr)
      @client = client
      @ptr = ptr
      # a stream nobody ended: freed without network traffic where the library can
      @token, releaser = client.child_opened(Native::HAVE_DATA_FREE ? :ftp_data_free : :ftp_data_abort)
      @auto = FFI::AutoPointer.new(ptr, releaser)
    end

    # The size the server announced in its 150 reply, or nil.
    def expected_size
      out = FFI::MemoryPointer.new(:uint64)
      rc = Native.ftp_data_expected_size(live, out)
      rc.zero? ? out.read(:uint64) : nil
    end

    # Up to `length` bytes (binary String), or nil at the end of the data.
    def read(length = Client::DEFAULT_BLOCKSIZE)
      buf = FFI::MemoryPointer.new(:uint8, length)
      out = FFI::MemoryPointer.new(:size_t)
      ptr = live
      @client.invoke(thread_errors: true) { Native.ftp_data_read(ptr, buf, length, out) }
      n = out.read(:size_t)
      n.zero? ? nil : buf.read_bytes(n)
    end

    # Yields each block until the end of the data.
    def each_chunk(length = Client::DEFAULT_BLOCKSIZE)
      return enum_for(:each_chunk, length) unless block_given?

      while (chunk = read(length))
        yield chunk
      end
      nil
    end

    # Writes all of `data`; returns its length in bytes.
    def write(data)
      data = data.to_s.b
      buf = FFI::MemoryPointer.new(:uint8, [data.bytesize, 1].max)
      buf.put_bytes(0, data)
      ptr = live
      @client.invoke(thread_errors: true) { Native.ftp_data_write(ptr, buf, data.bytesize) }
      data.bytesize
    end
    alias << write

    def close
      finish(:ftp_data_close)
    end

    def abort
      finish(:ftp_data_abort)
    end

    def closed?
      @ptr.nil?
    end

    private

    def live
      @ptr or raise Ftpc.error_for(ERR_INVALID_STATE, 0, 'the data stream is closed', klass: InvalidStateError)
    end

    def finish(fn)
      ptr = @ptr
      return nil unless ptr

      @ptr = nil
      @client.child_closed(@token)
      @auto.autorelease = false
      rc, reply, msg = Call.new(@client).run do
        r = Native.public_send(fn, ptr)
        r.negative? ? [r, Native.ftp_last_reply_code, Native.ftp_last_error_message] : [r]
      end
      raise Ftpc.error_for(rc, reply, msg) if rc.negative?

      nil
    end
  end
end
