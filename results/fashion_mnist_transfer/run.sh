#!/bin/bash
# The transfer experiment: pretrain ResNet-20 on Fashion-MNIST classes 0-4, fine-tune it on
# 20 and 100 images of each of classes 5-9, and train the same net from scratch on the same
# images for the same epochs; two seeds each; every model measured on the 5,000 test images of
# classes 5-9. Resumable: rerun it after a kill (finished runs are no-ops).
#   bash run.sh DATA RUNS     (DATA: what make_data.py wrote; RUNS: the run folders)
set -euo pipefail
DATA=$(realpath "$1"); RUNS=$2; mkdir -p "$RUNS"; cd "$RUNS"
KERAS_RESNET_FASHION_MNIST_DIR=$DATA/pretrain keras-resnet train --recipe fashion_mnist_resnet20 \
  --steps 1200 --steps-per-epoch 240 --compress-schedule --seed 0 --output pretrain5
common=(--arch resnet20 --image-size 32 --batch-size 32 --epochs 30 --validation-split 0)
for n in 20 100; do
  for seed in 0 1; do
    keras-resnet finetune "$DATA/target$n" "${common[@]}" --seed $seed \
      --weights pretrain5/last.keras --head-epochs 10 --learning-rate 1e-4 \
      --output "tuned${n}_seed$seed"
    keras-resnet finetune "$DATA/target$n" "${common[@]}" --seed $seed \
      --weights none --head-epochs 0 --learning-rate 1e-3 --output "scratch${n}_seed$seed"
    for run in "tuned${n}_seed$seed" "scratch${n}_seed$seed"; do
      [ -f "$run/test.json" ] || keras-resnet evaluate "$run/last.keras" \
        --images "$DATA/target_test" --json "$run/test.json"
    done
  done
done
