# Run by `cmake --install` (CMakeLists.txt): installs contrib/wardd.service
# into PREFIX/lib/systemd/system with its /usr/local paths made PREFIX's
# (the prefix of this install, --prefix included), and the example config
# file unless the operator has one. Needs WARDD_CONTRIB (this directory)
# and WARDD_BINDIR (the binaries' directory, relative to the prefix).
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(confdir "/etc/wardd")                 # the FHS place, as GNUInstallDirs has it
else()
  set(confdir "${prefix}/etc/wardd")
endif()
file(READ "${WARDD_CONTRIB}/wardd.service" unit)
string(REPLACE "/usr/local/bin/wardd" "${prefix}/${WARDD_BINDIR}/wardd" unit "${unit}")
string(REPLACE "/usr/local/etc/wardd" "${confdir}" unit "${unit}")
set(unitdir "$ENV{DESTDIR}${prefix}/lib/systemd/system")
message(STATUS "Installing: ${unitdir}/wardd.service")
file(MAKE_DIRECTORY "${unitdir}")
file(WRITE "${unitdir}/wardd.service" "${unit}")
if(NOT EXISTS "$ENV{DESTDIR}${confdir}/wardd.conf")
  file(INSTALL "${WARDD_CONTRIB}/wardd.conf" DESTINATION "$ENV{DESTDIR}${confdir}")
endif()
