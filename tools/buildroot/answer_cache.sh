# shellcheck shell=bash
# cached_answer DIR NAME KEY COMMAND...: what COMMAND prints, kept in
# DIR/NAME-KEY so that the next call with the same KEY does not run it again
# (wheelhouse.sh and npm_registry.sh ask pip and npm, which take about a
# second to start, on every tools/bazel command). Files of other keys are
# removed. Safe when several tools/bazel commands run at once: each writes a
# file of its own and renames it into place.
cached_answer() {
  local dir=$1 name=$2 key=$3
  shift 3
  local cached="$dir/$name-$key" answer tmp old
  if [ -f "$cached" ]; then
    cat "$cached"
    return 0
  fi
  answer=$("$@" 2>/dev/null || true)
  for old in "$dir/$name"-*; do
    case "$old" in
      "$cached"*) ;;
      *) rm -f "$old" ;;
    esac
  done
  tmp=$(mktemp "$cached.XXXXXX")
  printf '%s\n' "$answer" >"$tmp"
  mv -f "$tmp" "$cached" 2>/dev/null || rm -f "$tmp"
  printf '%s\n' "$answer"
}
