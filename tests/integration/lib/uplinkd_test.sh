# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# What an uplinkd integration test sources: the namespace harness (netns.sh: run id, temp dir, cleanup trap),
# uplinkd's checks and the shared scenarios.
_h_uplinkd_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=netns.sh
source "$_h_uplinkd_lib/netns.sh"
# shellcheck source=uplinkd_checks.sh
source "$_h_uplinkd_lib/uplinkd_checks.sh"
# shellcheck source=scenarios.sh
source "$_h_uplinkd_lib/scenarios.sh"
