#!/usr/bin/env bash
# A rolling deploy of one version of the app "shop", with xc as the deploy gate, in plain shell.
#
#   usage: XC_DATABASE_URL=postgres://... ./deploy.sh VERSION
#
# Run it from the app's checkout of VERSION (its migrations in ./migrations). The rollout itself
# (roll_out, wait_gone) uses kubectl as an example: put your own mechanism there.
#
# xc exit codes: 0 done · 1 failed · 2 invalid input (nothing ran) · 3 refused by the gate,
# safe to retry later · 4 another xc holds the lock · 5 gave up waiting for database locks.
set -euo pipefail

VERSION="${1:?usage: deploy.sh VERSION}"
APP="${APP:-shop}"
DEPLOY_ENV="${DEPLOY_ENV:-production}"
export XC_MIGRATIONS_DIR="${XC_MIGRATIONS_DIR:-migrations}"
: "${XC_DATABASE_URL:?set XC_DATABASE_URL}"

xc() { npx --no-install xc "$@"; }

# Versions of $APP recorded live in $DEPLOY_ENV, other than the one being deployed.
live_versions_except() {
  xc deploy list --json | node -e '
    const lines = require("fs").readFileSync(0, "utf8").trim().split("\n");
    for (const d of JSON.parse(lines[lines.length - 1]).deployments)
      if (d.app === process.argv[1] && d.env === process.argv[2] && !d.retiredAt && d.version !== process.argv[3]) console.log(d.version);
  ' "$APP" "$DEPLOY_ENV" "$1"
}

roll_out() { # replace the pods, a few at a time; old and new run side by side meanwhile
  kubectl set image deployment/"$APP" app="registry.example.com/$APP:$1"
  kubectl rollout status deployment/"$APP" --timeout=15m
}

wait_gone() { # until no pod of that version is left (terminating ones included)
  kubectl wait --for=delete pod -l "app=$APP,version=$1" --timeout=15m
}

# 1. Pre-deploy gate: expand and backfill every migration this build needs, then ask whether it
#    may go live. Exit 3 means no (e.g. a rollback to a version whose columns were contracted
#    away): stop here, nothing was rolled out. --wait-lock waits out a running `xc contract`.
if xc check --app "$APP" --version "$VERSION" --apply --wait-lock 600; then
  echo "xc: $APP@$VERSION may go live"
else
  code=$?
  [ "$code" -eq 3 ] && echo "xc: $APP@$VERSION may not go live now; deploy aborted" >&2
  exit "$code"
fi

# Remember what runs now: those versions are replaced by this rollout.
old_versions="$(live_versions_except "$VERSION")"

# 2. Roll out. The pods set PGAPPNAME="$APP@$VERSION", so the gate also sees their sessions.
roll_out "$VERSION"

# 3. Post-deploy: this version is live, at its schema level (default: its newest migration at least backfilled).
xc deploy record --app "$APP" --version "$VERSION" --env "$DEPLOY_ENV"

# 4. Wait until the old pods are really gone, then say so.
for old in $old_versions; do
  wait_gone "$old"
  xc deploy retire --app "$APP" --version "$old" --env "$DEPLOY_ENV"
done

# 5. Contract: remove the old shapes nothing live needs any more. Exit 3 is not a failure of this
#    deploy: something still needs the old shape (another app's old version, a lingering session);
#    run `xc contract` again later (or let a scheduled job do it).
#    A rollback deploy (this build is older than migrations the database has begun) has no files for
#    those: their contract, or their `xc rollback`, is for the build that has them (run from its
#    checkout), and xc refuses a folder that lacks them (exit 2). Nothing to contract here, then.
newer="$(xc status --json | node -e '
  const lines = require("fs").readFileSync(0, "utf8").trim().split("\n");
  for (const m of JSON.parse(lines[lines.length - 1]).migrations)
    if (m.missingFile && !["contracted", "rolled_back"].includes(m.phase)) console.log(m.id);
')"
if [ -n "$newer" ]; then
  echo "xc: $APP@$VERSION lacks migrations the database has begun ($(echo $newer | tr ' ' ',')): a rollback deploy." >&2
  # `xc rollback ID` undoes ID and every later one; plain `xc rollback`, the newest only.
  oldest="$(echo $newer | tr ' ' '\n' | sort | head -n 1)"
  echo "xc: contract them from a build that has them once it is live, or undo them from its checkout: xc rollback $oldest" >&2
  exit 0
fi
if xc contract; then
  echo "xc: contracted"
else
  code=$?
  if [ "$code" -eq 3 ]; then
    echo "xc: contract refused by the deploy gate for now; retry later with: npx xc contract" >&2
    exit 0
  fi
  exit "$code"
fi
