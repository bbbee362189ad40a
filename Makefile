# ward: the two commands of the quick start, and a few more.
#   make demo    run the system end to end (installs missing packages)
#   make check   run every test (installs missing packages)
#   make         build (release) into build/
#   make deps    install the Debian packages ward needs
#   make install PREFIX=/usr/local
#   make clean
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local

.PHONY: all build deps check demo install clean size

all: build

build:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build build -j$(JOBS)

deps:
	@scripts/deps.sh

check: deps
	@scripts/check.sh

demo: deps build
	@scripts/demo.sh

size: deps
	@bench/size.sh

install: build
	cmake --install build --prefix $(PREFIX)

clean:
	rm -rf build build-asan build-fuzz build-size
