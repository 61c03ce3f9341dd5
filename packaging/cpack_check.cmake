# SPDX-License-Identifier: GPL-2.0-or-later
# Read by cpack before it packs (CPACK_PROJECT_CONFIG_FILE): a package built from a tree configured for
# another prefix (CMake's default is /usr/local) would install its files there.
if(NOT CPACK_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "uplinkd: the package needs a build configured with -DCMAKE_INSTALL_PREFIX=/usr, not "
                      "${CPACK_INSTALL_PREFIX} (scripts/package.sh does that)")
endif()
