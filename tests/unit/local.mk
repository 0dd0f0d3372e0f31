# Unit tests of pure logic and format objects (Check).
if HAVE_CHECK
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
UNIT_LDADD = lib/libbkp.a $(LIBS_ALL) $(CHECK_LIBS)
endif
