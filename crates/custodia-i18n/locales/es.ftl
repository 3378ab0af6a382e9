# Catálogo en español de Custodia. Las claves son los códigos estables (E07, ON_HOLD,
# HELD_BEYOND_RELEASE) o nombres de textos de las páginas; en.ftl tiene exactamente las mismas
# claves (una prueba falla si no). docs/languages.md explica cómo añadir un mensaje.

## Idiomas y formatos

language-name = Español
date-long = { $day } de { $month } de { $year }
days = { $count ->
    [one] { $count } día
   *[other] { $count } días
}
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre

## The public locator's page (locator-)

locator-title = Buscar a una persona custodiada en virtud de un acuerdo
locator-skip = Ir a la búsqueda
locator-languages = Idioma
locator-intro = Cualquier persona puede preguntar dónde está alguien custodiado en virtud de un acuerdo de custodia. La respuesta indica solo la situación, el centro, el país y desde cuándo; nada más sobre la persona.
locator-by-id = Por identificador
locator-person-id = Identificador dado por el Estado remitente
locator-person-id-hint = Por ejemplo, el número de registro que figura en los documentos judiciales.
locator-or = o
locator-by-name = Por apellido y año de nacimiento
locator-family-name = Apellido
locator-family-name-hint = Basta con uno de los apellidos; no importan las tildes ni las mayúsculas.
locator-birth-year = Año de nacimiento
locator-birth-year-hint = Cuatro cifras, por ejemplo 1990.
locator-search = Buscar
locator-results = Resultados
locator-found = { $count ->
    [one] Se encontró una persona
   *[other] Se encontraron { $count } personas
}
locator-none = No se encontró a nadie. Revise la ortografía y el año, o pregunte con el identificador.
locator-col-status = Situación
locator-col-facility = Centro
locator-col-country = País
locator-col-since = Desde
locator-status-in_transit = En traslado
locator-status-in_custody = Bajo custodia
locator-status-return_scheduled = Retorno programado
locator-status-returned = Retornado
locator-status-released = Puesto en libertad
locator-status-deceased = Fallecido
locator-no-facility = No está en un centro
locator-contact = A quién llamar
locator-error = No se pudo hacer la búsqueda
locator-error-person_id = Indique solo el identificador (de 1 a 256 caracteres), sin apellido ni año.
locator-error-family_name = Indique un apellido de 1 a 200 caracteres.
locator-error-birth_year = Indique el apellido junto con un año de nacimiento entre 1850 y 2100.
locator-error-query = No se entendió la búsqueda; vuelva a llenar el formulario.
locator-rate-limited = Demasiadas búsquedas desde esta dirección. Vuelva a intentarlo dentro de { $seconds } segundos.
locator-unavailable = El localizador no puede responder en este momento. Vuelva a intentarlo más tarde.
locator-footer = Solo se buscan los acuerdos que publican su localizador. Las búsquedas están limitadas por dirección.
