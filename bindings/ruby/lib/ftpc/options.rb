# frozen_string_literal: true

module Ftpc
  # Turns Client.new's keywords into an ftp_options handle. Times are in seconds (Floats
  # allowed), as Net::FTP has them; 0 waits forever.
  module Options
    TLS_LEVELS = { none: 0, try: 1, control: 2, explicit: 3, all: 3, implicit: 4 }.freeze
    TLS_VERSIONS = { TLS1_2: 12, 'TLS1_2' => 12, 1.2 => 12, TLS1_3: 13, 'TLS1_3' => 13,
                     1.3 => 13 }.freeze
    PASSIVE = { true => 0, auto: 0, epsv: 1, pasv: 2 }.freeze

    # Every keyword Client.new understands besides port, username, password and account.
    KEYS = %i[timeout open_timeout connect_timeout read_timeout reply_timeout
              data_connect_timeout accept_timeout idle_timeout data_idle_timeout keepalive
              passive active trust_pasv_address tls ssl private_data_connection
              data_protection ca_file ca_dir ca_path system_roots pins server_name
              client_cert client_key verify allow_missing_close_notify min_version
              max_version ccc block_size binary utf8 max_listing_entries max_listing_bytes
              max_tree_depth max_tree_entries retry].freeze

    module_function

    def ms(seconds)
      v = (Float(seconds) * 1000).round
      raise ArgumentError, "a time must be 0 or more seconds, not #{seconds.inspect}" if v.negative?

      [v, 0xFFFF_FFFF].min
    end

    # Net::FTP's `ssl:` is true or a hash of SSLContext parameters; the ones ftpc has are
    # mapped, others refused (so a setting is never silently dropped).
    def ssl_params(ssl, kw)
      return kw.merge(tls: :explicit) if ssl == true
      return kw if ssl.nil? || ssl == false
      raise ArgumentError, 'ssl: must be true, false or a Hash' unless ssl.is_a?(Hash)

      kw = kw.merge(tls: kw[:tls] || :explicit)
      ssl.each do |k, v|
        case k.to_sym
        when :ca_file then kw[:ca_file] = v
        when :ca_path then kw[:ca_dir] = v
        when :hostname then kw[:server_name] = v
        when :min_version then kw[:min_version] = v
        when :max_version then kw[:max_version] = v
        when :verify_mode
          kw[:verify] = false if v.to_i.zero? # OpenSSL::SSL::VERIFY_NONE
        else
          raise ArgumentError, "ssl: #{k} is not supported by ftpc (use client_cert:/client_key: " \
                               'for certificate files)'
        end
      end
      kw
    end

    # Returns a new ftp_options pointer (caller frees with ftp_options_free).
    def build(kw)
      unknown = kw.keys - KEYS
      raise ArgumentError, "unknown option#{unknown.size > 1 ? 's' : ''}: #{unknown.join(', ')}" unless unknown.empty?

      kw = ssl_params(kw[:ssl], kw)
      opts = Native.ftp_options_new
      raise NoMemoryError, 'ftp_options_new' if opts.null?

      begin
        apply(opts, kw)
      rescue StandardError
        Native.ftp_options_free(opts)
        raise
      end
      opts
    end

    def set(opts, name, *args)
      rc = Native.public_send(:"ftp_options_#{name}", opts, *args)
      return if rc.zero?

      raise Ftpc.error_for(rc, 0, Native.ftp_options_errmsg(opts))
    end

    def apply(opts, kw)
      set(opts, :set_timeout_ms, ms(kw[:timeout])) if kw[:timeout]
      ct = kw[:connect_timeout] || kw[:open_timeout]
      set(opts, :set_connect_timeout_ms, ms(ct)) if ct
      rt = kw[:reply_timeout] || kw[:read_timeout]
      set(opts, :set_reply_timeout_ms, ms(rt)) if rt
      set(opts, :set_data_connect_timeout_ms, ms(kw[:data_connect_timeout])) if kw[:data_connect_timeout]
      set(opts, :set_accept_timeout_ms, ms(kw[:accept_timeout])) if kw[:accept_timeout]
      it = kw[:data_idle_timeout] || kw[:idle_timeout]
      set(opts, :set_data_idle_timeout_ms, ms(it)) if it
      set(opts, :set_keepalive_ms, ms(kw[:keepalive])) if kw[:keepalive]
      apply_retry(opts, kw[:retry]) if kw[:retry]
      apply_passive(opts, kw)
      set(opts, :set_trust_pasv_address, !!kw[:trust_pasv_address]) if kw.key?(:trust_pasv_address)
      apply_tls(opts, kw)
      set(opts, :set_block_size, Integer(kw[:block_size])) if kw[:block_size]
      set(opts, :set_transfer_type, kw[:binary] ? 0 : 1) if kw.key?(:binary)
      set(opts, :set_utf8, !!kw[:utf8]) if kw.key?(:utf8)
      set(opts, :set_max_listing_entries, Integer(kw[:max_listing_entries])) if kw[:max_listing_entries]
      set(opts, :set_max_listing_bytes, Integer(kw[:max_listing_bytes])) if kw[:max_listing_bytes]
      set(opts, :set_max_tree_depth, Integer(kw[:max_tree_depth])) if kw[:max_tree_depth]
      set(opts, :set_max_tree_entries, Integer(kw[:max_tree_entries])) if kw[:max_tree_entries]
    end

    def apply_retry(opts, policy)
      set(opts, :set_retry_policy, *RetryPolicy.coerce(policy).native_args)
    end

    def apply_passive(opts, kw)
      if kw[:active] || kw[:passive] == false
        a = kw[:active].is_a?(Hash) ? kw[:active] : {}
        ports = a[:ports] || (0..0)
        set(opts, :set_active, a[:bind].to_s, a[:advertise].to_s, ports.first, ports.last, !!a[:eprt])
      elsif kw.key?(:passive) && !kw[:passive].nil?
        mode = PASSIVE.fetch(kw[:passive]) { raise ArgumentError, "passive: #{kw[:passive].inspect}" }
        set(opts, :set_passive_mode, mode)
      end
    end

    def apply_tls(opts, kw)
      level = kw[:tls]
      level = :explicit if level == true
      level = :none if level.nil? || level == false
      set(opts, :set_tls, TLS_LEVELS.fetch(level.to_sym) { raise ArgumentError, "tls: #{level.inspect}" })
      prot = kw[:data_protection]
      prot = (kw[:private_data_connection] ? :private : :clear) if prot.nil? && kw.key?(:private_data_connection)
      if prot
        set(opts, :set_tls_data_protection, { private: 0, clear: 1 }.fetch(prot.to_sym) do
          raise ArgumentError, "data_protection: #{prot.inspect}"
        end)
      end
      set(opts, :set_tls_ca_file, kw[:ca_file].to_s) if kw[:ca_file]
      ca_dir = kw[:ca_dir] || kw[:ca_path]
      set(opts, :set_tls_ca_dir, ca_dir.to_s) if ca_dir
      set(opts, :set_tls_system_roots, !!kw[:system_roots]) if kw.key?(:system_roots)
      Array(kw[:pins]).each { |pin| set(opts, :add_tls_pin, pin.to_s) }
      set(opts, :set_tls_server_name, kw[:server_name].to_s) if kw[:server_name]
      if kw[:client_cert] || kw[:client_key]
        set(opts, :set_tls_client_cert, kw[:client_cert].to_s, kw[:client_key].to_s)
      end
      set(opts, :dangerous_disable_tls_verification) if kw.key?(:verify) && kw[:verify] == false
      if kw.key?(:allow_missing_close_notify)
        set(opts, :set_tls_allow_missing_close_notify, !!kw[:allow_missing_close_notify])
      end
      if kw[:min_version] || kw[:max_version]
        min = tls_version(kw[:min_version] || :TLS1_2)
        max = tls_version(kw[:max_version] || :TLS1_3)
        set(opts, :set_tls_versions, min, max)
      end
      set(opts, :set_tls_ccc, !!kw[:ccc]) if kw.key?(:ccc)
    end

    def tls_version(value)
      return value if [12, 13].include?(value)

      TLS_VERSIONS.fetch(value) do
        # OpenSSL::SSL::TLS1_2_VERSION and friends
        { 0x0303 => 12, 0x0304 => 13 }.fetch(value) { raise ArgumentError, "TLS version #{value.inspect}" }
      end
    end
  end

  # How the production-layer calls (download_file, upload_file, list, ensure_directory, sync,
  # mirror) retry transient failures: at most `max_attempts` attempts, waiting
  # `initial_delay` seconds, then `multiplier` times longer each time, at most `max_delay`,
  # varied by up to `jitter` (a fraction, 0.2 = 20%) either way.
  RetryPolicy = Struct.new(:max_attempts, :initial_delay, :multiplier, :max_delay, :jitter,
                           keyword_init: true) do
    def self.coerce(value)
      case value
      when RetryPolicy then value
      when Hash then new(**value)
      when Integer then new(max_attempts: value)
      when false then new(max_attempts: 1)
      else raise ArgumentError, "retry policy: #{value.inspect}"
      end
    end

    def native_args
      [Integer(max_attempts || 4), Options.ms(initial_delay || 0.5),
       (Float(multiplier || 2.0) * 100).round, Options.ms(max_delay || 30),
       (Float(jitter || 0.2) * 100).round]
    end
  end
end
