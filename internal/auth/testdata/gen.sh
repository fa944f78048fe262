#!/bin/sh
# Regenerates vectors.tsv: one line per hash, "name<TAB>password<TAB>hash".
# The hashes come from external implementations (OpenSSL, libxcrypt via
# mkpasswd from Debian's "whois" package and via Python's crypt module), not
# from the Go library under test, so a test pass means the two agree.
# Usage: sh gen.sh > vectors.tsv
set -eu
PW='s3cret pw'
py() { python3 -W ignore -c "import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]))" "$@"; }
bsalt() { python3 -W ignore -c "import crypt; print(crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1<<$1)[7:])"; }
printf 'md5crypt\t%s\t%s\n' "$PW" "$(openssl passwd -1 -salt Qx7vT2pA "$PW")"
printf 'sha256crypt\t%s\t%s\n' "$PW" "$(openssl passwd -5 "$PW")"
printf 'sha512crypt\t%s\t%s\n' "$PW" "$(openssl passwd -6 "$PW")"
printf 'sha512crypt-utf8\t%s\t%s\n' 'pässwörd€' "$(openssl passwd -6 'pässwörd€')"
printf 'sha256crypt-rounds\t%s\t%s\n' "$PW" "$(py "$PW" '$5$rounds=20000$k3Lq9ZsWm1Vb')"
printf 'sha512crypt-rounds\t%s\t%s\n' "$PW" "$(py "$PW" '$6$rounds=10000$Hn2cR8pXw4Yt')"
# mkpasswd raises bcrypt cost 4 to 5, so cost 4 goes through libxcrypt directly.
printf 'bcrypt-2b-cost4\t%s\t%s\n' "$PW" "$(py "$PW" "\$2b\$04\$$(bsalt 4)")"
printf 'bcrypt-2a-cost5\t%s\t%s\n' "$PW" "$(mkpasswd -m bcrypt-a -R 5 "$PW")"
printf 'bcrypt-2y-cost10\t%s\t%s\n' "$PW" "$(py "$PW" "\$2y\$10\$$(bsalt 10)")"
printf 'bcrypt-2b-cost12\t%s\t%s\n' "$PW" "$(mkpasswd -m bcrypt -R 12 "$PW")"
printf 'yescrypt\t%s\t%s\n' "$PW" "$(mkpasswd -m yescrypt "$PW")"
printf 'yescrypt-R1\t%s\t%s\n' "$PW" "$(mkpasswd -m yescrypt -R 1 "$PW")"
# Above the caps: New must refuse these.
printf 'over-bcrypt-cost15\t%s\t%s\n' "$PW" "$(mkpasswd -m bcrypt -R 15 "$PW")"
printf 'over-sha512crypt-rounds\t%s\t%s\n' "$PW" "$(py "$PW" '$6$rounds=1000001$Hn2cR8pXw4Yt')"
printf 'over-yescrypt-R11\t%s\t%s\n' "$PW" "$(mkpasswd -m yescrypt -R 11 "$PW")"
