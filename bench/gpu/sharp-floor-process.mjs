// The decode floor in separate processes (each with its own libuv thread pool): node sharp-floor-process.mjs SIZE FILE…
import sharp from 'sharp';

sharp.concurrency(1);
sharp.cache(false);
const [size, ...files] = process.argv.slice(2);
process.once('message', async () => {
  for (const file of files) await sharp(file).resize(Number(size), Number(size), { fit: 'cover' }).removeAlpha().raw().toBuffer();
  process.send('done', () => process.exit(0));
});
process.send('ready');
