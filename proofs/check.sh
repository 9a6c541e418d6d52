#!/usr/bin/env bash
# Build and audit the Coq proofs of tstar (see README.md).
#
#   1. every .v file in this directory must be listed in _CoqProject;
#   2. no source may contain Admitted, admit, Abort, Axiom(s), Parameter(s),
#      Conjecture, give_up or a checker-disabling flag;
#   3. `make` compiles everything (coq_makefile, products ignored by .gitignore);
#   4. `Print Assumptions` is run on every Theorem/Lemma/Corollary/… of every
#      file; InnerMap.v and RoundEigen.v (MathComp, pure algebra) must be closed under the
#      global context, the files over the standard-library reals may use only
#      the axioms of the Coq standard reals:
#        ClassicalDedekindReals.sig_forall_dec
#        ClassicalDedekindReals.sig_not_dec
#        FunctionalExtensionality.functional_extensionality_dep
#      (Coq ≥ 8.12 builds R from these), and BoundOptimal.v, which uses the
#      standard-library logarithm [ln], additionally
#        Classical_Prop.classic
#      (excluded middle: the stdlib's definition of ln depends on it).
#      Nothing else is allowed.
# Exit status 0 iff all four pass.
set -euo pipefail
cd "$(dirname "$0")"
start=$(date +%s)
# coq_makefile's generated Makefile.coq is a build product (with coq_makefile's
# own comments in it); remove it when the check ends, like the other products.
trap 'rm -f Makefile.coq Makefile.coq.conf .Makefile.coq.d' EXIT

command -v coqc >/dev/null 2>&1 || { echo "check.sh: coqc not found on PATH" >&2; exit 2; }

files=$(grep -E '^[A-Za-z0-9_]+\.v$' _CoqProject)

# 1. every .v file is built and audited
for f in *.v; do
  echo "$files" | grep -qx "$f" || { echo "check.sh: $f is not listed in _CoqProject" >&2; exit 1; }
done

# 2. forbidden vernacular (also in comments: keep them out of the prose)
if grep -nwE 'Admitted|admit|Abort|Axiom|Axioms|Parameter|Parameters|Conjecture|give_up|bypass_check' $files \
   || grep -nE 'Unset[[:space:]]+(Guard|Positivity|Universe)[[:space:]]+Checking|Local[[:space:]]+Axiom|Unset[[:space:]]+Universe' $files; then
  echo "check.sh: forbidden command found (see above)" >&2
  exit 1
fi

# 3. build
make -s all

# 4. axiom audit
mods=""
thms=()
for f in $files; do
  m=${f%.v}
  mods="$mods $m"
  while read -r name; do
    thms+=("TStar.$m.$name")
  done < <(sed -nE "s/^[[:space:]]*(Theorem|Lemma|Corollary|Proposition|Fact|Remark)[[:space:]]+([A-Za-z0-9_']+).*/\2/p" "$f")
done
here=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" Makefile.coq Makefile.coq.conf .Makefile.coq.d' EXIT
{
  echo "From TStar Require$mods."
  for t in "${thms[@]}"; do echo "Print Assumptions $t."; done
} > "$tmp/Audit.v"
out=$(cd "$tmp" && coqc -q -Q "$here" TStar Audit.v)

allowed_reals='^(Coq\.Reals\.)?ClassicalDedekindReals\.sig_(forall|not)_dec$|^(Coq\.Logic\.)?FunctionalExtensionality\.functional_extensionality_dep$'
allowed_ln='^(Coq\.Logic\.)?Classical_Prop\.classic$'
status=0
block=-1
nblocks=0
while IFS= read -r line; do
  case "$line" in
    "Closed under the global context") block=$((block + 1)); nblocks=$((nblocks + 1)) ;;
    "Axioms:") block=$((block + 1)); nblocks=$((nblocks + 1)) ;;
    "" | " "* | "	"*) ;;  # types of the axioms (indented)
    *)
      if [ "$block" -lt 0 ]; then echo "check.sh: unexpected output: $line" >&2; status=1; continue; fi
      t=${thms[$block]}
      ax=${line%% :*}
      ax=${ax%% }
      case "$t" in
        TStar.InnerMap.*|TStar.RoundEigen.*) echo "check.sh: $t depends on $ax (must be closed)" >&2; status=1 ;;
        TStar.BoundOptimal.*) if ! [[ "$ax" =~ $allowed_reals || "$ax" =~ $allowed_ln ]]; then
             echo "check.sh: $t depends on non-allowed axiom $ax" >&2; status=1
           fi ;;
        *) if ! [[ "$ax" =~ $allowed_reals ]]; then
             echo "check.sh: $t depends on non-allowed axiom $ax" >&2; status=1
           fi ;;
      esac ;;
  esac
done <<< "$out"
if [ "$nblocks" -ne "${#thms[@]}" ]; then
  echo "check.sh: audited $nblocks of ${#thms[@]} statements" >&2
  status=1
fi
if [ "$status" -ne 0 ]; then echo "check.sh: axiom audit FAILED" >&2; exit 1; fi

end=$(date +%s)
echo "check.sh: ${#thms[@]} statements in$(echo "$files" | tr '\n' ' ' | sed 's/^/ /')proved; axiom audit passed ($((end - start)) s)"
