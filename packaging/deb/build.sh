#!/usr/bin/env bash
# Builds bin/xgo_<version>_<arch>.deb with dpkg-deb from what
# "make install PREFIX=/usr" installs, plus the systemd units, the Debian
# changelog and a DEP-5 copyright listing every Go module linked into the
# binary. Run by "make deb"; needs dpkg-deb and gzip.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${GO:=go}" "${DEB_VERSION:?}" "${COMMIT:=unknown}"
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
root=bin/deb/root
rm -rf bin/deb
mkdir -p "$root/DEBIAN"
make --no-print-directory install PREFIX=/usr DESTDIR="$root" >/dev/null

# The units are only installed: no maintainer script enables or starts
# them (the package has none).
for unit in xgo-host-layout.service xgo-vsnd-backend.service; do
	install -D -m 0644 "packaging/systemd/$unit" "$root/lib/systemd/system/$unit"
done
install -D -m 0644 packaging/deb/lintian-overrides "$root/usr/share/lintian/overrides/xgo"

doc="$root/usr/share/doc/xgo"
install -d -m 0755 "$doc"
# The changelog date is the commit's, so a rebuild is byte for byte the same.
date=$(git log -1 --format=%cd --date=rfc2822 2>/dev/null || date -R)
sed -e "s/@VERSION@/$DEB_VERSION/" -e "s/@COMMIT@/$COMMIT/" -e "s/@DATE@/$date/" packaging/deb/changelog |
	gzip -9n > "$doc/changelog.Debian.gz"
chmod 0644 "$doc/changelog.Debian.gz"

# copyright: ours, then each linked module's licence from its source.
{
	cat packaging/deb/copyright.head
	modcache=$($GO env GOMODCACHE)
	$GO version -m bin/xgo | awk '$1 == "dep" { print $2, $3 }' | while read -r mod ver; do
		# The module cache escapes capital letters as !lower.
		esc=$(printf '%s' "$mod" | sed -E 's/([A-Z])/!\L\1/g')
		dir="$modcache/$esc@$ver"
		lic=$(ls "$dir"/LICENSE* "$dir"/LICENCE* "$dir"/COPYING* 2>/dev/null | head -1 || true)
		if [ -z "$lic" ]; then
			echo "deb: no licence file for $mod $ver in $dir" >&2
			exit 1
		fi
		name=Expat
		if grep -q "Apache License" "$lic"; then name=Apache-2.0
		elif grep -q "Neither the name" "$lic"; then name=BSD-3-Clause
		elif grep -q "Redistribution and use" "$lic"; then name=BSD-2-Clause
		fi
		holders=$(grep -m3 -i -E '^\s*copyright (\(c\) )?[0-9]' "$lic" | sed -E 's/^\s*[Cc]opyright (\([Cc]\) )?//' || true)
		[ -n "$holders" ] || holders="the $mod authors"
		echo
		echo "Files: go-modules/$mod/*"
		echo "Copyright: $(printf '%s\n' "$holders" | sed '2,$s/^/ /')"
		echo "Comment: Go module $mod $ver, linked into /usr/sbin/xgo."
		if [ "$name" = Apache-2.0 ]; then
			echo "License: Apache-2.0"
			echo " On Debian systems the full text of the Apache License 2.0 is in"
			echo " /usr/share/common-licenses/Apache-2.0."
		else
			echo "License: $name"
			sed -e 's/[[:space:]]*$//' -e 's/^$/./' -e 's/^/ /' "$lic"
		fi
	done
} > "$doc/copyright"
chmod 0644 "$doc/copyright"

size=$(du -k -s --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$DEB_VERSION/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" packaging/deb/control > "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort | xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +

out="bin/xgo_${DEB_VERSION}_${arch}.deb"
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s) \
	dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
