#!/usr/bin/env ruby
# frozen_string_literal: true

# Downloads one file over FTP or FTPS with a progress line, after listing its directory.
#
#   ruby examples/download.rb URL [LOCAL] [--ca CA.pem]
#   ruby examples/download.rb ftpes://user@ftp.example.com/pub/file.bin --ca ca.pem
#
# The password comes from the URL or from $FTP_PASSWORD. ftpes:// is explicit TLS, ftps://
# implicit TLS; the server's certificate is verified (against --ca and the system's store).
$LOAD_PATH.unshift(File.expand_path('../lib', __dir__))
require 'ftpc'

ca = nil
args = []
until ARGV.empty?
  arg = ARGV.shift
  arg == '--ca' ? ca = ARGV.shift : args << arg
end
url, local = args
abort "usage: #{$PROGRAM_NAME} URL [LOCAL] [--ca CA.pem]" unless url

# Server text may hold terminal control characters: show it escaped.
def safe(text)
  text.to_s.gsub(/[[:cntrl:]]/) { |c| format('\\x%02x', c.ord) }
end

options = {}
options[:ca_file] = ca if ca
begin
  Ftpc::Client.open(url, password: ENV.fetch('FTP_PASSWORD', nil), **options) do |ftp|
    remote = ftp.url_path
    abort 'the URL names no file' if remote.empty? || remote.end_with?('/')
    local ||= File.basename(remote)
    puts "connected#{ftp.tls? ? ' with TLS' : ''}: #{safe(ftp.welcome)}"
    ftp.list(File.dirname(remote)).each do |entry|
      puts format('  %-4s %12s  %s', entry.type, entry.size, safe(entry.name))
    end
    ftp.download_file(remote, local) do |done, total|
      $stderr.print(total ? "\r#{done}/#{total} bytes" : "\r#{done} bytes")
    end
    $stderr.puts
    puts "saved #{local} (#{File.size(local)} bytes)"
  end
rescue Ftpc::Error => e
  abort "ftpc: #{safe(e.message)} (#{e.error_class}, reply #{e.reply_code})"
end
