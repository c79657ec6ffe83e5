# frozen_string_literal: true

require_relative 'lib/ftpc/version'

Gem::Specification.new do |spec|
  spec.name = 'ftpc'
  spec.version = Ftpc::VERSION
  spec.summary = 'FTP and FTPS client on libftpc, shaped like Net::FTP'
  spec.description = <<~DESC
    Ruby bindings for ftpc, an FTP/FTPS client library written in Rust: Net::FTP's methods and
    error classes, certificate verification on by default, TLS session reuse on data
    connections, transfers that release the global lock, cancellation from any thread, and the
    production layer (resumable downloads and uploads with retries, sync and mirror).
    Needs libftpc.so.0 (make install from the ftpc repository).
  DESC
  spec.authors = ['ftpc contributors']
  spec.license = 'MIT OR Apache-2.0'
  spec.required_ruby_version = '>= 3.0'
  spec.files = Dir['lib/**/*.rb'] + %w[README.md ftpc.gemspec] + Dir['examples/*.rb']
  spec.require_paths = ['lib']
  spec.add_dependency 'ffi', '~> 1.15'
  spec.metadata['rubygems_mfa_required'] = 'true'
end
