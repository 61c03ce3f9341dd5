# SPDX-License-Identifier: GPL-2.0-or-later
target_link_libraries(unit_daemon PRIVATE uplinkd_cli)
