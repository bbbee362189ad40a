#!/bin/sh
# Every public header stands alone, in C99 and in C++ (where a C++ compiler
# is installed): it includes what it needs, and what it declares has C
# linkage (extern "C"), so a C++ program links to ward's C libraries.
# Usage: check_headers.sh INCLUDE_DIR CORE_LIB NET_LIB
set -eu
inc="$1"
core="$2"
net="$3"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc="${CC:-cc}"
cxx=""
for c in "${CXX:-}" c++ g++ clang++; do
  if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then cxx="$c"; break; fi
done
n=0
for h in "$inc"/ward/*.h; do
  name=$(basename "$h")
  printf '#include <ward/%s>\ntypedef int ward_check_not_empty;\n' "$name" >"$tmp/one.c"
  "$cc" -std=c99 -Wall -Wextra -pedantic -Werror -I"$inc" -fsyntax-only "$tmp/one.c" \
    || { echo "$name does not compile alone as C99" >&2; exit 1; }
  # Declarations need C linkage; headers of macros only need none.
  if grep -qE '^(WARD_MUST_CHECK|ward_err|void|const|int|bool|char|size_t|uint[0-9]+_t|ward_[a-z0-9_]+ \*?ward_)' "$h" \
     && ! grep -q 'extern "C"' "$h"; then
    echo "$name declares functions without extern \"C\"" >&2; exit 1
  fi
  if [ -n "$cxx" ]; then
    cp "$tmp/one.c" "$tmp/one.cc"
    "$cxx" -std=c++11 -Wall -Wextra -Werror -I"$inc" -fsyntax-only "$tmp/one.cc" \
      || { echo "$name does not compile as C++" >&2; exit 1; }
  fi
  n=$((n + 1))
done
if [ -z "$cxx" ]; then
  echo "headers: $n compile alone as C99 (no C++ compiler: C++ not checked)"
  exit 0
fi
# A C++ program calls into the C libraries: the names must not be mangled.
cat >"$tmp/link.cc" <<'CXX'
#include <ward/ward.h>
#include <ward/ward_encode.h>
int main()
{
    const unsigned char in[2] = {0xab, 0xcd};
    char out[5];
    if (ward_hex_encode(in, sizeof in, out, sizeof out) != WARD_OK) return 1;
    return ward_strerror(WARD_OK)[0] == '\0';
}
CXX
"$cxx" -std=c++11 -Wall -Wextra -Werror -I"$inc" "$tmp/link.cc" "$net" "$core" -o "$tmp/link" \
  || { echo "a C++ program does not link to ward's C libraries" >&2; exit 1; }
"$tmp/link"
echo "headers: $n compile alone as C99 and as C++ ($cxx), and link from C++"
