# frozen_string_literal: true

module Ftpc
  VERSION = '0.1.0'
end
