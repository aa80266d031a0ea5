#!/bin/sh
# Starts redis-server with the ACL users of users.acl (beside this script; made by
# `blindspot acl`), each given its password from the environment: REDIS_PASSWORD for
# `default` (the administrator), REDIS_PASSWORD_<USER> for the others (upper case, - as _,
# e.g. REDIS_PASSWORD_METADATA_DETECTOR). Passwords are letters and digits. The file
# Redis loads holds their SHA-256 only, in a folder of its own under $TMPDIR. Arguments
# are passed to redis-server:
#   REDIS_PASSWORD=... REDIS_PASSWORD_GENERATOR=... sh ops/redis/start.sh --appendonly yes
set -eu

users="${REDIS_ACL_USERS:-$(dirname "$0")/users.acl}"
[ -r "$users" ] || { echo "redis: cannot read the ACL users from $users (make it with: blindspot acl --prefix <{tag}>)" >&2; exit 2; }

dir="$(mktemp -d)"
acl="$dir/users.acl"
: >"$acl"
chmod 600 "$acl"
problems=""
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in '' | '#'*) continue ;; esac
  user="${line#user }"
  user="${user%% *}"
  case "$user" in *[!a-z-]* | '') echo "redis: $users: a line that names no user: ${line%% ~*}" >&2; exit 2 ;; esac
  if [ "$user" = default ]; then var=REDIS_PASSWORD; else var="REDIS_PASSWORD_$(printf %s "$user" | tr 'a-z-' 'A-Z_')"; fi
  # $var is REDIS_PASSWORD_ and upper-case letters and _ (the user name was checked above).
  eval "password=\${$var-}"
  case "$password" in
    '') problems="$problems
  $var is not set: the password of the Redis user \"$user\""; continue ;;
    *[!A-Za-z0-9]*) problems="$problems
  $var holds a character other than a letter or digit"; continue ;;
  esac
  printf '%s #%s\n' "$line" "$(printf %s "$password" | sha256sum | cut -d' ' -f1)" >>"$acl"
done <"$users"
if [ -n "$problems" ]; then
  echo "redis: refusing to start:$problems
(see README, Securing a deployment)" >&2
  exit 2
fi
exec redis-server --aclfile "$acl" "$@"
