// The single executable's entry point (`npm run sea`, scripts/build-sea.ts bundles it): the
// CLI exactly as bin/certdrift.js runs it, with the arguments after the executable's name.
import { main } from './main.js';

void main(process.argv.slice(2));
