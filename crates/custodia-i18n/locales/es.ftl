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
