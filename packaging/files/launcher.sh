#!/bin/sh
# ux-tunnel-@SIDE@ @VERSION@, from the ux-tunnel-@SIDE@ package: runs the command on the Node.js runtime the package
# carries (/usr/lib/ux-tunnel/@SIDE@/node), never on a Node.js of the host.
# The command runs as root, so what it loads must be only what the package installed: variables that steer Node.js
# (NODE_OPTIONS --require, NODE_PATH, NODE_EXTRA_CA_CERTS, NODE_DEBUG ...) and OpenSSL's configuration are dropped.
for variable in $(env | sed -n 's/^\(NODE_[A-Za-z0-9_]*\)=.*/\1/p; s/^\(OPENSSL_[A-Za-z0-9_]*\)=.*/\1/p'); do
  unset "$variable"
done
exec /usr/lib/ux-tunnel/@SIDE@/node /usr/lib/ux-tunnel/@SIDE@/app/dist/src/cli/@SIDE@/main.js "$@"
