# frozen_string_literal: true

require 'ffi'

module Ftpc
  # The C API of libftpc, declared one line per function (include/ftpc.h has the contract of
  # each). Everything that can wait on the network is attached with `blocking: true`, so the
  # calling thread gives up Ruby's global lock while it waits and other threads keep running.
  # Callbacks from those calls take the lock back for as long as they run (ruby-ffi does that).
  #
  # This module is the raw layer: use Ftpc::Client unless you need it.
  module Native
    extend FFI::Library

    # Where the shared library is looked for, first match wins: $FTPC_LIB (a file), then
    # $FTPC_PREFIX/lib, then the system's loader path (LD_LIBRARY_PATH, ld.so.cache).
    def self.library_candidates
      list = []
      list << ENV['FTPC_LIB'] if ENV['FTPC_LIB'] && !ENV['FTPC_LIB'].empty?
      if ENV['FTPC_PREFIX'] && !ENV['FTPC_PREFIX'].empty?
        list << File.join(ENV['FTPC_PREFIX'], 'lib', 'libftpc.so.0')
        list << File.join(ENV['FTPC_PREFIX'], 'lib', 'libftpc.so')
      end
      list + ['libftpc.so.0', 'ftpc']
    end

    ffi_lib library_candidates

    typedef :int32, :ftp_result
    typedef :pointer, :ftp_client
    typedef :pointer, :ftp_options

    callback :ftp_retry_cb, %i[pointer uint32 int32 int string uint32], :int
    callback :ftp_progress_cb, %i[pointer uint64 int64], :int
    callback :ftp_sync_cb, %i[pointer int32 string uint64 uint64 uint64 int32 string], :int
    callback :ftp_write_cb, %i[pointer pointer size_t], :int
    callback :ftp_read_cb, %i[pointer pointer size_t pointer], :int
    callback :ftp_line_cb, %i[pointer pointer size_t], :int

    B = { blocking: true }.freeze

    # library and thread-local state
    attach_function :ftp_version, [], :string
    attach_function :ftp_version_number, [], :uint32
    attach_function :ftp_strerror, [:ftp_result], :string
    attach_function :ftp_string_free, [:pointer], :void
    attach_function :ftp_last_error_code, [], :ftp_result
    attach_function :ftp_last_reply_code, [], :int
    attach_function :ftp_last_error_message, [], :string

    # options
    attach_function :ftp_options_new, [], :ftp_options
    attach_function :ftp_options_free, [:ftp_options], :void
    attach_function :ftp_options_errcode, [:ftp_options], :ftp_result
    attach_function :ftp_options_errmsg, [:ftp_options], :string
    attach_function :ftp_options_set_timeout_ms, %i[ftp_options uint32], :ftp_result
    attach_function :ftp_options_set_connect_timeout_ms, %i[ftp_options uint32], :ftp_result
    attach_function :ftp_options_set_reply_timeout_ms, %i[ftp_options uint32], :ftp_result
    attach_function :ftp_options_set_data_connect_timeout_ms, %i[ftp_options uint32], :ftp_result
    attach_function :ftp_options_set_accept_timeout_ms, %i[ftp_options uint32], :ftp_result
    attach_function :ftp_options_set_data_idle_timeout_ms, %i[ftp_options uint32], :ftp_result
    attach_function :ftp_options_set_keepalive_ms, %i[ftp_options uint32], :ftp_result
    attach_function :ftp_options_set_retry_policy, %i[ftp_options uint32 uint32 uint32 uint32 uint32], :ftp_result
    attach_function :ftp_options_set_passive_mode, %i[ftp_options int32], :ftp_result
    attach_function :ftp_options_set_active, %i[ftp_options string string uint16 uint16 bool], :ftp_result
    attach_function :ftp_options_set_trust_pasv_address, %i[ftp_options bool], :ftp_result
    attach_function :ftp_options_set_tls, %i[ftp_options int32], :ftp_result
    attach_function :ftp_options_set_tls_data_protection, %i[ftp_options int32], :ftp_result
    attach_function :ftp_options_set_tls_ca_file, %i[ftp_options string], :ftp_result
    attach_function :ftp_options_set_tls_ca_dir, %i[ftp_options string], :ftp_result
    attach_function :ftp_options_set_tls_system_roots, %i[ftp_options bool], :ftp_result
    attach_function :ftp_options_add_tls_pin, %i[ftp_options string], :ftp_result
    attach_function :ftp_options_set_tls_server_name, %i[ftp_options string], :ftp_result
    attach_function :ftp_options_set_tls_client_cert, %i[ftp_options string string], :ftp_result
    attach_function :ftp_options_dangerous_disable_tls_verification, %i[ftp_options], :ftp_result
    attach_function :ftp_options_set_tls_allow_missing_close_notify, %i[ftp_options bool], :ftp_result
    attach_function :ftp_options_set_tls_versions, %i[ftp_options int32 int32], :ftp_result
    attach_function :ftp_options_set_tls_ccc, %i[ftp_options bool], :ftp_result
    attach_function :ftp_options_set_block_size, %i[ftp_options size_t], :ftp_result
    attach_function :ftp_options_set_transfer_type, %i[ftp_options int32], :ftp_result
    attach_function :ftp_options_set_utf8, %i[ftp_options bool], :ftp_result
    attach_function :ftp_options_set_max_listing_entries, %i[ftp_options uint64], :ftp_result
    attach_function :ftp_options_set_max_listing_bytes, %i[ftp_options uint64], :ftp_result
    attach_function :ftp_options_set_max_tree_depth, %i[ftp_options uint32], :ftp_result
    attach_function :ftp_options_set_max_tree_entries, %i[ftp_options uint64], :ftp_result

    # the session
    attach_function :ftp_new, %i[ftp_options pointer], :ftp_result
    attach_function :ftp_open, %i[ftp_client string uint16], :ftp_result, B
    attach_function :ftp_open_url, %i[ftp_client string string pointer], :ftp_result, B
    attach_function :ftp_login, %i[ftp_client string string string], :ftp_result, B
    attach_function :ftp_quit, %i[ftp_client], :ftp_result, B
    attach_function :ftp_free, %i[ftp_client], :void
    attach_function :ftp_close, %i[ftp_client], :void, B
    attach_function :ftp_welcome, %i[ftp_client], :pointer
    attach_function :ftp_reply_code, %i[ftp_client], :int
    attach_function :ftp_reply_text, %i[ftp_client], :pointer
    attach_function :ftp_errcode, %i[ftp_client], :ftp_result
    attach_function :ftp_errreply, %i[ftp_client], :int
    attach_function :ftp_errmsg, %i[ftp_client], :pointer

    # commands
    attach_function :ftp_pwd, %i[ftp_client pointer], :ftp_result, B
    attach_function :ftp_cwd, %i[ftp_client string], :ftp_result, B
    attach_function :ftp_cdup, %i[ftp_client], :ftp_result, B
    attach_function :ftp_mkd, %i[ftp_client string pointer], :ftp_result, B
    attach_function :ftp_rmd, %i[ftp_client string], :ftp_result, B
    attach_function :ftp_delete, %i[ftp_client string], :ftp_result, B
    attach_function :ftp_rename, %i[ftp_client string string], :ftp_result, B
    attach_function :ftp_size, %i[ftp_client string pointer], :ftp_result, B
    attach_function :ftp_mdtm, %i[ftp_client string pointer], :ftp_result, B
    attach_function :ftp_mfmt, %i[ftp_client string int64], :ftp_result, B
    attach_function :ftp_noop, %i[ftp_client], :ftp_result, B
    attach_function :ftp_abort, %i[ftp_client], :ftp_result, B
    attach_function :ftp_quote, %i[ftp_client string pointer pointer], :ftp_result, B
    attach_function :ftp_feat_has, %i[ftp_client string pointer], :ftp_result, B
    attach_function :ftp_feat_params, %i[ftp_client string pointer], :ftp_result, B
    attach_function :ftp_set_transfer_type, %i[ftp_client int32], :ftp_result
    attach_function :ftp_is_tls, %i[ftp_client pointer], :ftp_result
    attach_function :ftp_last_data_tls_resumed, %i[ftp_client pointer], :ftp_result

    # transfers
    attach_function :ftp_retr, %i[ftp_client string uint64 ftp_write_cb ftp_progress_cb pointer], :ftp_result, B
    attach_function :ftp_stor, %i[ftp_client string uint64 int64 ftp_read_cb ftp_progress_cb pointer], :ftp_result, B
    attach_function :ftp_appe, %i[ftp_client string uint64 int64 ftp_read_cb ftp_progress_cb pointer], :ftp_result, B
    attach_function :ftp_retr_lines, %i[ftp_client string ftp_line_cb pointer], :ftp_result, B
    attach_function :ftp_stor_lines, %i[ftp_client string ftp_read_cb pointer], :ftp_result, B
    attach_function :ftp_list, %i[ftp_client string ftp_line_cb pointer], :ftp_result, B
    attach_function :ftp_nlst, %i[ftp_client string ftp_line_cb pointer], :ftp_result, B
    attach_function :ftp_retr_file, %i[ftp_client string string bool ftp_progress_cb pointer], :ftp_result, B
    attach_function :ftp_stor_file, %i[ftp_client string string ftp_progress_cb pointer], :ftp_result, B
    attach_function :ftp_retr_fd, %i[ftp_client string int ftp_progress_cb pointer], :ftp_result, B
    attach_function :ftp_stor_fd, %i[ftp_client int string int64 ftp_progress_cb pointer], :ftp_result, B

    # data streams
    attach_function :ftp_data_open, %i[ftp_client string uint64 pointer], :ftp_result, B
    attach_function :ftp_data_expected_size, %i[pointer pointer], :ftp_result
    attach_function :ftp_data_read, %i[pointer pointer size_t pointer], :ftp_result, B
    attach_function :ftp_data_write, %i[pointer pointer size_t], :ftp_result, B
    attach_function :ftp_data_close, %i[pointer], :ftp_result, B
    attach_function :ftp_data_abort, %i[pointer], :ftp_result, B

    # listings
    attach_function :ftp_mlsd_open, %i[ftp_client string pointer], :ftp_result, B
    attach_function :ftp_list_open, %i[ftp_client string pointer], :ftp_result, B
    attach_function :ftp_mlsd_next, %i[pointer pointer], :ftp_result, B
    attach_function :ftp_mlsd_close, %i[pointer], :void, B
    attach_function :ftp_mlst, %i[ftp_client string pointer], :ftp_result, B
    attach_function :ftp_entry_free, %i[pointer], :void
    attach_function :ftp_entry_name_bytes, %i[pointer pointer pointer], :ftp_result
    attach_function :ftp_entry_type, %i[pointer], :int32
    attach_function :ftp_entry_size, %i[pointer pointer], :ftp_result
    attach_function :ftp_entry_modified, %i[pointer pointer], :ftp_result
    attach_function :ftp_entry_fact, %i[pointer string], :pointer

    # the production layer
    attach_function :ftp_set_retry_policy, %i[ftp_client uint32 uint32 uint32 uint32 uint32], :ftp_result
    attach_function :ftp_set_retry_callback, %i[ftp_client ftp_retry_cb pointer], :ftp_result
    attach_function :ftp_download_file, %i[ftp_client string string bool ftp_progress_cb pointer], :ftp_result, B
    attach_function :ftp_upload_file, %i[ftp_client string string bool ftp_progress_cb pointer], :ftp_result, B
    attach_function :ftp_download_fd, %i[ftp_client string int ftp_progress_cb pointer], :ftp_result, B
    attach_function :ftp_upload_fd, %i[ftp_client int string ftp_progress_cb pointer], :ftp_result, B
    attach_function :ftp_ensure_directory, %i[ftp_client string], :ftp_result, B
    attach_function :ftp_dir_list_open, %i[ftp_client string pointer], :ftp_result, B
    attach_function :ftp_dir_list_count, %i[pointer], :size_t
    attach_function :ftp_dir_list_entry, %i[pointer size_t], :pointer
    attach_function :ftp_dir_list_free, %i[pointer], :void
    attach_function :ftp_sync_directory, %i[ftp_client string string bool bool ftp_sync_cb pointer], :ftp_result, B
    attach_function :ftp_mirror_directory, %i[ftp_client string string bool bool ftp_sync_cb pointer], :ftp_result, B

    # ftp_cancel arrived after the first release: safe from any thread, also while another
    # thread is inside a call on the same handle. Without it, cancelling falls back to the
    # next callback of the running call.
    begin
      attach_function :ftp_cancel, %i[ftp_client], :ftp_result
      HAVE_CANCEL = true
    rescue FFI::NotFoundError
      HAVE_CANCEL = false
    end

    # Attaches a function that newer libraries have; returns whether it is there.
    def self.optional(name, args, ret, **opts)
      attach_function(name, args, ret, **opts)
      true
    rescue FFI::NotFoundError
      false
    end

    # Every fact of an entry, also those without a known name (else: a fixed list of names).
    HAVE_FACT_LIST = optional(:ftp_entry_fact_count, %i[pointer], :size_t) &
                     optional(:ftp_entry_fact_at, %i[pointer size_t pointer pointer], :ftp_result)
    # Freeing a data stream or a listing without network traffic (for finalizers).
    HAVE_DATA_FREE = optional(:ftp_data_free, %i[pointer], :void)
    HAVE_LISTING = optional(:ftp_listing_open, %i[ftp_client string int32 pointer], :ftp_result, **B) &
                   optional(:ftp_listing_next, %i[pointer pointer], :ftp_result, **B) &
                   optional(:ftp_listing_close, %i[pointer], :void, **B) &
                   optional(:ftp_listing_free, %i[pointer], :void)
    # Switching passive/active mode and PROT P/C on a connected session.
    HAVE_SET_PASSIVE = optional(:ftp_set_passive, %i[ftp_client bool], :ftp_result, **B)
    HAVE_SET_DATA_PROTECTION = optional(:ftp_set_data_protection, %i[ftp_client int32], :ftp_result, **B)

    # Reads a NUL-terminated string the library owns (borrowed), as bytes tagged UTF-8.
    def self.borrowed_string(ptr)
      return +'' if ptr.nil? || ptr.null?

      ptr.read_string.force_encoding(Encoding::UTF_8)
    end

    # Reads and frees a string the library returned through an out-parameter.
    def self.take_string(out)
      ptr = out.read_pointer
      return nil if ptr.null?

      begin
        ptr.read_string.force_encoding(Encoding::UTF_8)
      ensure
        ftp_string_free(ptr)
      end
    end
  end
end
