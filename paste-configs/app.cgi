#!/bin/sh
# A paste.ini pipeline as a CGI script: the web server runs this once per request (RFC 3875), with the
# request in the environment and on standard input; `wsgikit cgi` answers on standard output and exits.
# Absolute paths: a CGI environment has no useful PATH or working directory.
exec /srv/venv/bin/wsgikit cgi /srv/app/production.ini
