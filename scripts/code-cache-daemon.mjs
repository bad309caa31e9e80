// A stand-in Engine API on a unix socket for the code cache's training builds (scripts/bundle.mjs):
// just enough of a daemon for a `FROM scratch` build to run cold and then fully cached, so V8's cache
// holds the code a cached build runs, with no daemon needed and nothing left in one. Every image asked
// about exists; a load is accepted; anything else is a 404.
import { createServer } from 'node:http';

/** Starts the stand-in at `socketPath`; resolves to a function that stops it. */
export async function startTrainingDaemon(socketPath) {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0];
    const json = (status, body) => {
      response.writeHead(status, { 'Content-Type': 'application/json', 'Api-Version': '1.41' });
      response.end(JSON.stringify(body));
    };
    request.resume();
    request.on('end', () => {
      if (path === '/_ping') return void response.end('OK');
      if (path === '/info') return json(200, { ID: 'code-cache-training', DockerRootDir: '/nonexistent' });
      if (path === '/version') return json(200, { Arch: 'amd64', Os: 'linux', ApiVersion: '1.41' });
      if (path === '/containers/json') return json(200, []);
      if (path === '/images/load') return json(200, { stream: 'Loaded image\n' });
      const image = /^\/images\/(.+)\/(json|tag)$/.exec(path);
      if (image?.[2] === 'json')
        return json(200, { Id: decodeURIComponent(image[1]), Size: 0, RootFS: { Type: 'layers', Layers: [] } });
      if (image?.[2] === 'tag') return json(201, {});
      json(404, { message: `the training daemon has no ${request.method} ${path}` });
    });
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  return () => new Promise((resolve) => server.close(() => resolve()));
}
