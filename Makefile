# stream_windows — PGXS build
#
#   make                  build the extension and the test tools
#   make install          install into the PostgreSQL that pg_config names
#   make installcheck     pg_regress + TAP tests against throwaway clusters
#                         (no running server needed; see test/check.sh)

EXTENSION = stream_windows
MODULE_big = stream_windows
OBJS = \
	src/stream_windows.o \
	src/guc.o \
	src/privilege.o \
	src/window_time.o \
	src/adhoc.o \
	src/adhoc_planner.o \
	src/adhoc_panes.o \
	src/shmem.o \
	src/kafka.o \
	src/kafka_options.o \
	src/formats.o \
	src/json_scan.o \
	src/staging.o \
	src/catalog.o \
	src/source_admin.o \
	src/source_worker.o \
	src/source_lock.o \
	src/launcher.o \
	src/window_agg.o \
	src/window_engine.o \
	src/result_writer.o \
	src/window_due.o \
	src/open_rows.o \
	src/window_isolation.o \
	src/watchdog.o \
	src/window_hop.o \
	src/window_panes.o \
	src/window_session.o \
	src/window_count.o \
	src/window_admin.o

DATA = sql/stream_windows--0.1.sql sql/stream_windows--0.1--0.2.sql
PGFILEDESC = "stream_windows - Kafka-fed streaming windows"

REGRESS = adhoc_setup tumble hop hop_panes session_start count_window formats json_scan source_admin window_admin trust
REGRESS_OPTS = --temp-instance=tmp_check_regress \
	--temp-config=$(srcdir)/test/regress.conf \
	--load-extension=$(EXTENSION)

TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl
PROVE_FLAGS = -I $(srcdir)/test

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror
SHLIB_LINK = -lrdkafka

EXTRA_CLEAN = tmp_check tmp_check_regress tmp_check_isolation tmp_releases output_iso results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

include $(srcdir)/test/tools.mk
all: tools

# Isolation tests: administration racing on a source (test/isolation).
ISOLATION_TESTS = window_admin_race
ISOLATION_TEST_OPTS = --inputdir=$(srcdir)/test/isolation --temp-instance=tmp_check_isolation \
	--temp-config=$(srcdir)/test/regress.conf --load-extension=$(EXTENSION) \
	--dbname=contrib_regression

# test/check.sh runs each part separately to count them.
.PHONY: installcheck-regress-only installcheck-tap-only installcheck-isolation-only
installcheck-regress-only:
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)
installcheck-isolation-only:
	$(pg_isolation_regress_installcheck) $(ISOLATION_TEST_OPTS) $(ISOLATION_TESTS)
installcheck-tap-only:
	$(prove_installcheck)

# every object depends on every header of ours (PGXS tracks none by itself)
$(OBJS): $(wildcard $(srcdir)/src/*.h)
