"""wsgikit-compute: a small nova-style compute API built from wsgikit alone."""
