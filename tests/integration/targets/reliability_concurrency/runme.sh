#!/usr/bin/env bash
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Twenty forks at once against one emulator: each its own key, then all of them the same name.
set -eu
source ../setup_emulator/emulator.sh
ansible-playbook -i inventory.yml --forks 20 main.yml "$@"
