# Sourced: sets LLAMA_CMAKE_ARGS, llama.cpp's build flags for this CPU's instruction sets, never with
# AMX tiles (they crash in VMs that advertise but forbid them).
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
has() { [[ " $flags " == *" $1 "* ]]; }
args=(-DGGML_NATIVE=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)
for pair in avx:AVX avx2:AVX2 fma:FMA f16c:F16C bmi2:BMI2 avx_vnni:AVX_VNNI; do
  has "${pair%%:*}" && args+=("-DGGML_${pair##*:}=ON") || args+=("-DGGML_${pair##*:}=OFF")
done
if has avx512f && has avx512bw && has avx512vl && has avx512dq && has avx512cd; then
  args+=(-DGGML_AVX512=ON)
  for pair in avx512vbmi:AVX512_VBMI avx512_vnni:AVX512_VNNI avx512_bf16:AVX512_BF16; do
    has "${pair%%:*}" && args+=("-DGGML_${pair##*:}=ON") || args+=("-DGGML_${pair##*:}=OFF")
  done
else
  args+=(-DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF)
fi
LLAMA_CMAKE_ARGS="${args[*]}"
