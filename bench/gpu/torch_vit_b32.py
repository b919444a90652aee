"""GPU side of the ViT-B/32 embedding estimate: images/s of the same ViT-B/32-shaped vision tower that
bench/make-vit-b32.py exports (random weights), run by PyTorch on the accelerator, per precision and batch
size, with and without the host-to-device copy of float32 CHW tensors (what Winnow's preprocessing hands
to the runtime). ONNX Runtime's CUDA provider cannot be installed in this workplace, so this measures the
GPU's inference ceiling for this graph, not the provider. Usage: python3 torch_vit_b32.py OUT.json
"""
import importlib.util, json, os, sys, time
import torch

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("make_vit_b32", os.path.join(here, "..", "make-vit-b32.py"))
make = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make)

def rate(model, batch, dtype, with_copy, iters=10):
    host = torch.randn(batch, 3, 224, 224, dtype=torch.float32).pin_memory()
    device_input = host.to("cuda", dtype=dtype)
    def step():
        x = host.to("cuda", non_blocking=True).to(dtype) if with_copy else device_input
        return model(x)
    with torch.inference_mode():
        for _ in range(3):
            step()
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(iters):
            step()
        torch.cuda.synchronize()
    return batch * iters / (time.perf_counter() - start)

def main(out):
    torch.manual_seed(0)
    results = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "rows": []}
    try:
        import onnxruntime
        results["onnxruntime_python"] = {"version": onnxruntime.__version__, "providers": onnxruntime.get_available_providers()}
    except Exception as error:  # recorded, not fatal: the ORT question is answered by its absence
        results["onnxruntime_python"] = {"error": str(error)}
    base = make.Vision().eval().cuda()
    for name, dtype, tf32 in (("fp32", torch.float32, False), ("tf32", torch.float32, True), ("fp16", torch.float16, False), ("bf16", torch.bfloat16, False)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        model = base.to(dtype)
        for batch in (64, 256, 1024):
            row = {"precision": name, "batch": batch, "gpu_only": rate(model, batch, dtype, False), "with_h2d_copy": rate(model, batch, dtype, True)}
            results["rows"].append(row)
            print(json.dumps(row), flush=True)
    json.dump(results, open(out, "w"), indent=1)

if __name__ == "__main__":
    main(sys.argv[1])
