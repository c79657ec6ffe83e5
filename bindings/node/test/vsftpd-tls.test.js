'use strict';
require('./suite').defineSuite(require('./servers').CONFIGS.find((c) => c.name === 'vsftpd+tls'));
