# The README's two commands; each installs the Debian packages it needs when they are missing.
#
#   make demo    builds in release mode, fetches the Shakespeare corpus (corpora/README.md),
#                trains a small model for MINUTES minutes (default 3) into checkpoints/$(RUN)/,
#                writes a sample to a file and shows its first lines. Run again, it reuses the
#                model it has; RESUME=1 trains it MINUTES more first.
#   make test    runs the whole test suite: what .ci/run runs.
#
# Examples:  make demo MINUTES=10     make demo RESUME=1     make demo RUN=other

MINUTES ?= 3
RUN ?= demo
RESUME ?=
BUILD_PACKAGES := libopenblas-dev libreadline-dev zlib1g-dev pkg-config
# The end-to-end tests render inspect's page in a headless browser, and train under mpirun
# (Open MPI's runtime is enough: charlstm loads libmpi when mpirun starts it, so no headers).
TEST_PACKAGES := chromium openmpi-bin

.PHONY: demo test

demo:
	@scripts/ensure-debian-packages.sh $(BUILD_PACKAGES)
	swift build -c release --product charlstm
	@MINUTES='$(MINUTES)' RUN='$(RUN)' RESUME='$(RESUME)' scripts/demo.sh

test:
	@scripts/ensure-debian-packages.sh $(BUILD_PACKAGES) $(TEST_PACKAGES)
	swift test
