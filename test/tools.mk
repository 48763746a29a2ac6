#-------------------------------------------------------------------------
#
# tools.mk
#    Build rules for the test tools: the embedded broker and the producer.
#
# Included by the top-level Makefile (after PGXS, so that "all" stays the
# default goal).  The tools are plain librdkafka programs, not part of the
# extension: "make tools" builds them, "make clean" removes them.
#
# test/tools.mk
#
#-------------------------------------------------------------------------

test/sw_broker: test/sw_broker.c
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $< -lrdkafka

test/sw_produce: test/sw_produce.c
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $< -lrdkafka

.PHONY: tools
tools: test/sw_broker test/sw_produce

EXTRA_CLEAN += test/sw_broker test/sw_produce
