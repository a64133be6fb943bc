// HTTP: POST /api/pause (handler in src/http/api.ts).
import { app } from '@azure/functions';
import { httpRegistration } from '../src/http/runtime';

app.http(...httpRegistration('pause'));
