// HTTP: POST /api/pause (handler in src/http/api.ts).
import { app } from '@azure/functions';
import { httpRegistration } from '../src/composition';

app.http(...httpRegistration('pause'));
