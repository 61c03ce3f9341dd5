# SPDX-License-Identifier: GPL-2.0-or-later
# event_stream_test talks to a real ControlServer.
target_link_libraries(unit_cli PRIVATE uplinkd_daemon)
