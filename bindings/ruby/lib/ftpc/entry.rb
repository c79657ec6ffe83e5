# frozen_string_literal: true

module Ftpc
  # One listed object, copied out of the library (it outlives the listing). Shaped like
  # Net::FTP::MLSxEntry (`pathname`, `facts`, `file?`, `directory?`, the perm predicates) with
  # ftpc's own readers beside it (`name`, `type`, `size`, `mtime`).
  #
  # The name and facts come from the server: untrusted text. Never use a name as a local path
  # without checking it (it may be "..", absolute, or hold control characters). A name that is
  # not valid UTF-8 is kept as its exact bytes (Encoding::BINARY).
  class Entry
    TYPES = { 0 => :file, 1 => :dir, 2 => :cdir, 3 => :pdir, 4 => :link, 5 => :other }.freeze

    # The facts copied for every entry when the library cannot list them all (before
    # ftp_entry_fact_count).
    FACT_NAMES = %w[type size modify create perm unique lang media-type charset unix.mode
                    unix.owner unix.group unix.uid unix.gid unix.nlink unix.ownername
                    unix.groupname].freeze

    attr_reader :name, :type, :size, :mtime, :facts

    def initialize(name:, type:, size: nil, mtime: nil, facts: {})
      @name = name
      @type = type
      @size = size
      @mtime = mtime
      @facts = facts.freeze
      freeze
    end

    alias pathname name
    alias modify mtime
    alias to_s name

    # Copies a borrowed ftp_entry pointer into a new Entry.
    def self.from_native(ptr)
      data = FFI::MemoryPointer.new(:pointer)
      len = FFI::MemoryPointer.new(:size_t)
      name = if Native.ftp_entry_name_bytes(ptr, data, len).zero?
               data.read_pointer.read_bytes(len.read(:size_t))
             else
               +''
             end
      name.force_encoding(Encoding::UTF_8)
      name.force_encoding(Encoding::BINARY) unless name.valid_encoding?
      u64 = FFI::MemoryPointer.new(:uint64)
      size = Native.ftp_entry_size(ptr, u64).zero? ? u64.read(:uint64) : nil
      i64 = FFI::MemoryPointer.new(:int64)
      mtime = Native.ftp_entry_modified(ptr, i64).zero? ? Time.at(i64.read(:int64)).utc : nil
      new(name: name.freeze, type: TYPES.fetch(Native.ftp_entry_type(ptr), :other), size: size,
          mtime: mtime, facts: facts_of(ptr))
    end

    # The facts as a Hash with lower-case names, as Net::FTP::MLSxEntry has them.
    def self.facts_of(ptr)
      facts = {}
      if Native::HAVE_FACT_LIST
        name = FFI::MemoryPointer.new(:pointer)
        value = FFI::MemoryPointer.new(:pointer)
        Native.ftp_entry_fact_count(ptr).times do |i|
          next unless Native.ftp_entry_fact_at(ptr, i, name, value).zero?

          facts[Native.borrowed_string(name.read_pointer).downcase.freeze] =
            Native.borrowed_string(value.read_pointer).freeze
        end
      else
        FACT_NAMES.each do |fact|
          v = Native.ftp_entry_fact(ptr, fact)
          facts[fact] = Native.borrowed_string(v).freeze unless v.null?
        end
      end
      facts
    end

    def file?
      type == :file
    end

    def directory?
      %i[dir cdir pdir].include?(type)
    end

    def symlink?
      type == :link
    end

    # The MLSD "perm" fact's letters (RFC 3659 7.5.5), as Net::FTP::MLSxEntry has them; each
    # false when the server sent no perm fact.
    { appendable?: 'a', creatable?: 'c', deletable?: 'd', enterable?: 'e', renamable?: 'f',
      listable?: 'l', directory_makable?: 'm', purgeable?: 'p', readable?: 'r',
      writable?: 'w' }.each do |meth, letter|
      define_method(meth) { facts.fetch('perm', '').include?(letter) }
    end

    def inspect
      "#<Ftpc::Entry #{name.inspect} #{type}#{size ? " #{size} bytes" : ''}>"
    end

    def ==(other)
      other.is_a?(Entry) && name == other.name && type == other.type && size == other.size &&
        mtime == other.mtime && facts == other.facts
    end
  end

  # A reply to a raw command (Client#quote): the code and the text as the server sent it
  # (untrusted).
  Reply = Struct.new(:code, :text) do
    def success?
      (200..399).cover?(code)
    end

    def to_s
      "#{code} #{text}"
    end
  end

  # One path handled by Client#sync or Client#mirror. `action` is :uploaded, :downloaded,
  # :skipped, :deleted, :created_directory or :failed; `error` is the exception for a failed
  # path (not raised: the others go on). `path` and `message` may hold server text (untrusted).
  SYNC_ACTIONS = { 0 => :uploaded, 1 => :downloaded, 2 => :skipped, 3 => :deleted,
                   4 => :created_directory, 5 => :failed }.freeze

  SyncEvent = Struct.new(:action, :path, :bytes, :files_done, :files_total, :error, :message) do

    def self.build(action, path, bytes, done, total, code, message)
      error = code.negative? ? Ftpc.error_for(code, 0, message) : nil
      new(SYNC_ACTIONS.fetch(action, :unknown), path, bytes, done, total, error, message)
    end

    def failed?
      action == :failed
    end
  end
end
