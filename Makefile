# The two set-up commands (see README.md):
#   make demo   installs what is missing, builds, and runs the main job on embedded defaults
#   make test   installs what is missing, builds, and runs the whole test suite
# Other targets: build, deps, sanitize (ASan/UBSan test build), bench, clean,
#   dev-image (the development container image, containers/dev/Containerfile).

BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test demo sanitize bench clean dev-image

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRAIGHTLINE_WERROR=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

sanitize: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSTRAIGHTLINE_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

bench: build
	@echo "benchmarks are programs in $(BUILD)/bench/; see docs/benchmarks.md for how to run each"

dev-image:
	@containers/dev/build.sh

clean:
	rm -rf $(BUILD) build-asan
