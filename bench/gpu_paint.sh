#!/bin/bash
# The Paint recipe's GPU runs: three trainings side by side on one card, each for T seconds.
#   A groups, resumed from the bundled train-state with --glo 10 (each picture's own z) and --glo-spread 0.5
#     (half the fakes start near a picture's z, as the tab draws them), batch 64
#   B groups, the same at batch 256
#   C kinds (33), fine-tuned from the groups' train-state (kinds start as their group) with --glo 10 --glo-spread 0.5, batch 128
# Each writes a compact train-state under $OUT (resumable anywhere), anchors found at the end;
# logs and last previews in logs.tgz. See docs/training.md ("On a GPU").
# Usage: `bash bench/gpu_paint.sh prep` on a machine with the emoji font, then on the GPU machine
#   T=430 OUT=out bash bench/gpu_paint.sh     (also: DEV, R, PY, THREADS, BB, BC, CK, PV)
if [ "${1:-}" = prep ]; then  # what a GPU machine without the emoji font or PyPI access cannot make itself
  mkdir -p .gpu; grep -qx '/.gpu/' .git/info/exclude || echo /.gpu/ >> .git/info/exclude
  python -m engines.paint emoji --out .gpu/emoji64.npz && python -m engines.paint emoji --kinds --out .gpu/kinds64.npz
  exit
fi
T=${T:-430}; DEV=${DEV:-cuda}; R=${R:-/tmp/r}; OUT=${OUT:-/tmp/out}; PY=${PY:-python3}
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD OMP_NUM_THREADS=${THREADS:-3} ATELIER_THREADS=${THREADS:-3}
mkdir -p $R $OUT
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null
$PY -c "import torch;print('torch', torch.__version__, torch.cuda.is_available())"
S=assets/models/paint/train-state/emoji.pt
common="--glo 10 --glo-spread 0.5 --steps 400000 --checkpoint-every ${CK:-2000} --preview-every ${PV:-1000} --time-budget-s $T --no-fit-budget --device $DEV"
run() { name=$1; shift
  timeout $((T + 100)) $PY -m engines.paint train "$@" $common --previews $R/$name/previews --bundle $R/$name/bundle \
    > $R/$name.log 2>&1; echo "$name exit $?"; }
run A --data .gpu/emoji64.npz --out $R/A/emoji.pt --resume-from $S --batch 64 &
run B --data .gpu/emoji64.npz --out $R/B/emoji.pt --resume-from $S --batch ${BB:-256} &
run C --data .gpu/kinds64.npz --out $R/C/emoji-kinds.pt --finetune $S --batch ${BC:-128} \
  --class-weight 0.1 --minibatch-std &
(sleep 90; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv 2>/dev/null) &
wait
for n in A B C; do
  f=$(ls $R/$n/bundle/train-state/*.pt 2>/dev/null | head -1); [ -n "$f" ] && cp $f $OUT/state-$n.pt
done
cd $R && tar -czf $OUT/logs.tgz *.log $(for n in A B C; do ls $n/previews/*.png 2>/dev/null | tail -n 3; done) && cd - >/dev/null
for n in A B C; do echo "== $n"; grep -v '^exported' $R/$n.log | tail -n 3 | cut -c1-300; done
ls -la $OUT
