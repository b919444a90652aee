#!/usr/bin/env node
// `winnow` by its former entry (scripts and docs that name bin/winnow.mjs): the command is bin/winnow.cjs.
import './winnow.cjs';
