#-------------------------------------------------------------------------
#
# tools.mk
#    Build rules for the test tools: the embedded broker, the producer and
#    a C aggregate module.
#
# Included by the top-level Makefile (after PGXS, so that "all" stays the
# default goal).  The broker and the producer are plain librdkafka
# programs; test/sw_test_agg is a server module that the TAP tests load by
# path, never installed.  None is part of the extension: "make tools"
# builds them, "make clean" removes them.
#
# test/tools.mk
#
#-------------------------------------------------------------------------

test/sw_broker: test/sw_broker.c
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $< -lrdkafka

test/sw_produce: test/sw_produce.c
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $< -lrdkafka

# the server's own compiler flags, as for the extension
test/sw_test_agg$(DLSUFFIX): test/sw_test_agg.c
	$(CC) $(CFLAGS) $(CFLAGS_SL) $(CPPFLAGS) -Wall -Werror -shared -o $@ $<

.PHONY: tools
tools: test/sw_broker test/sw_produce test/sw_test_agg$(DLSUFFIX)

EXTRA_CLEAN += test/sw_broker test/sw_produce test/sw_test_agg$(DLSUFFIX)
