#!/bin/sh
# Generates configure and Makefile.in; run once on a fresh checkout.
exec autoreconf -fi
