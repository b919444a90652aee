"""How many cores the accelerator machine really gives: a CPU-bound loop and PIL's JPEG decode (draft mode,
i.e. libjpeg's DCT-domain shrink, then a bicubic resize to 224) in 1..N processes. Tells whether a flat
decode curve is Winnow's or the machine's. Usage: python3 cpu_scaling.py OUT.json JPEG_DIR"""
import glob, json, os, sys, time
from multiprocessing import Pool
from PIL import Image

def spin(n):
    x = 0
    for i in range(n):
        x += i * i
    return x

def decode(path):
    with Image.open(path) as im:
        im.draft("RGB", (224, 224))
        return im.convert("RGB").resize((224, 224), Image.BICUBIC).size

def scaling(fn, items, procs):
    with Pool(procs) as pool:
        pool.map(fn, items[: procs])
        start = time.perf_counter()
        pool.map(fn, items, chunksize=max(1, len(items) // (procs * 8)))
        return len(items) / (time.perf_counter() - start)

def main(out, jpeg_dir):
    files = sorted(glob.glob(os.path.join(jpeg_dir, "*.jpg")))
    cores = os.cpu_count()
    rows = []
    for procs in sorted({1, 2, 4, 8, cores}):
        row = {"processes": procs, "spin_tasks_per_s": scaling(spin, [2_000_000] * (procs * 4), procs), "pil_decode_img_per_s": scaling(decode, files, procs)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    json.dump({"cores": cores, "images": len(files), "rows": rows}, open(out, "w"), indent=1)

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
